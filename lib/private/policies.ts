import * as iam from 'aws-cdk-lib/aws-iam';
import * as perms from './perms';

// Pure builders of IAM statements. Lists of group ids may be tokens (Lazy) so
// that one statement serves every key group of a stack with the same settings.

/** The tag every generation carries with its group id. */
export const GROUP_TAG = 'rotation:group';

/** Condition key that matches keys of the given groups. */
export const RESOURCE_GROUP_TAG = `aws:ResourceTag/${GROUP_TAG}`;

/** Condition key that matches a request that tags a new key with a group. */
export const REQUEST_GROUP_TAG = `aws:RequestTag/${GROUP_TAG}`;

function groupsOf(keyArns: string, groupIds: string[], actions: string[], extra: Record<string, Record<string, unknown>> = {}): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions,
    resources: [keyArns],
    conditions: {
      ...extra,
      StringEquals: { [RESOURCE_GROUP_TAG]: groupIds, ...(extra.StringEquals ?? {}) },
    },
  });
}

/**
 * `CreateKey` (and the `TagResource` it implies) for new generations of the
 * given groups only: symmetric, EXTERNAL origin, single-Region, lockout check on.
 *
 * KeySpec, KeyUsage, MultiRegion and the bypass flag use `IfExists`: when a
 * request omits them KMS applies exactly the pinned value, and any other value
 * is refused.
 */
export function createKeyStatement(groupIds: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: perms.CREATE_KEY_ACTIONS,
    resources: ['*'],
    conditions: {
      StringEquals: {
        [REQUEST_GROUP_TAG]: groupIds,
        'kms:KeyOrigin': 'EXTERNAL',
      },
      StringEqualsIfExists: {
        'kms:KeySpec': 'SYMMETRIC_DEFAULT',
        'kms:KeyUsage': 'ENCRYPT_DECRYPT',
      },
      BoolIfExists: {
        'kms:MultiRegion': 'false',
        'kms:BypassPolicyLockoutSafetyCheck': 'false',
      },
    },
  });
}

/** Everyday management of the groups' own keys. */
export function manageKeysStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.MANAGE_KEY_ACTIONS);
}

/** Key policy updates of the groups' own keys, never bypassing the lockout check. */
export function putKeyPolicyStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.PUT_KEY_POLICY_ACTIONS, {
    BoolIfExists: { 'kms:BypassPolicyLockoutSafetyCheck': 'false' },
  });
}

/** Import parameters with the groups' wrapping algorithm and key spec only. */
export function getImportParametersStatement(keyArns: string, groupIds: string[], algorithm: string, keySpec: string): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.GET_IMPORT_PARAMETERS_ACTIONS, {
    StringEquals: { 'kms:WrappingAlgorithm': algorithm, 'kms:WrappingKeySpec': keySpec },
  });
}

/** Material import with the groups' expiration model only. */
export function importKeyMaterialStatement(keyArns: string, groupIds: string[], expirationModel: string): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.IMPORT_ACTIONS, {
    StringEquals: { 'kms:ExpirationModel': expirationModel },
  });
}

/** Deletion of the groups' keys with exactly the configured pending window. */
export function scheduleKeyDeletionStatement(keyArns: string, groupIds: string[], pendingWindowDays: string): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.DELETE_KEY_ACTIONS, {
    NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': pendingWindowDays },
  });
}

/**
 * When a user alias is renamed, CloudFormation updates this policy before the
 * custom resource runs, so the old alias is no longer named anywhere; deleting
 * it needs `kms:DeleteAlias` on alias/*. KMS also requires DeleteAlias on the
 * alias's target key, which the key statements allow only for the groups'
 * tagged keys: the role can remove only aliases that point at its own keys.
 */
export function deleteRenamedAliasStatement(allAliasesArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['kms:DeleteAlias'], resources: [allAliasesArn] });
}

/** Alias-side permission for the user aliases and the generation aliases. */
export function aliasStatement(aliasArns: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: perms.ALIAS_ACTIONS, resources: aliasArns });
}

/**
 * `kms:ListAliases` and `tag:GetResources` support no resource-level
 * permissions (the Service Authorization Reference lists no resource type for
 * them), so `*` is the only possible resource. Both only read metadata.
 */
export function discoveryStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: perms.DISCOVERY_ACTIONS, resources: ['*'] });
}

/** Grant conditions: keys the alias currently points at. */
export function currentGenerationConditions(aliasName: string): Record<string, Record<string, unknown>> {
  return { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasName } };
}

/** Grant conditions: every generation of the group. */
export function everyGenerationConditions(groupId: string): Record<string, Record<string, unknown>> {
  return { StringEquals: { [RESOURCE_GROUP_TAG]: groupId } };
}
