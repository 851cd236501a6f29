import * as iam from 'aws-cdk-lib/aws-iam';
import * as perms from './perms';

// Pure builders of IAM statements. Lists of group ids may be tokens (Lazy) so
// that one statement serves every key group of a stack with the same settings.

/** The tag every generation carries with its group id; set at CreateKey, never changed. */
export const GROUP_TAG = 'rotation:group';

/** The tag that labels a generation's stage (`pending`, `current`, `retired`, ...). */
export const STAGE_TAG = 'rotation:stage';

/** The stage of a generation that was made and never promoted: it never held data. */
export const PENDING_STAGE = 'pending';

/** The stage of a generation the alias moved away from. */
export const RETIRED_STAGE = 'retired';

/** The tag every key the functions make carries with the stack id; set at CreateKey, never changed. */
export const STACK_TAG = 'rotation:stack';

/** Condition key that matches keys of the given groups. */
export const RESOURCE_GROUP_TAG = `aws:ResourceTag/${GROUP_TAG}`;

/** Condition key that matches keys in a given stage. */
export const RESOURCE_STAGE_TAG = `aws:ResourceTag/${STAGE_TAG}`;

/** Condition key that matches a request that tags a key with a group. */
export const REQUEST_GROUP_TAG = `aws:RequestTag/${GROUP_TAG}`;

/** Condition key that matches keys this stack's functions made. */
export const RESOURCE_STACK_TAG = `aws:ResourceTag/${STACK_TAG}`;

/** Condition key that matches a request that tags a key with a stack. */
export const REQUEST_STACK_TAG = `aws:RequestTag/${STACK_TAG}`;

/** Condition key that matches a request that tags a key with a stage. */
export const REQUEST_STAGE_TAG = `aws:RequestTag/${STAGE_TAG}`;

/** Condition key: the aliases that point at a key (multi-valued, alias names). */
export const RESOURCE_ALIASES = 'kms:ResourceAliases';

/** Every generation alias of every group (`alias/rotation/<groupId>/<n>`); user aliases may not start with `alias/rotation/`. */
export const GENERATION_ALIASES = 'alias/rotation/*';

/** The encryption context entry of the functions' probes, and its only allowed value. */
export const PROBE_CONTEXT_KEY = 'kms:EncryptionContext:rotation:purpose';
export const PROBE_PURPOSE = 'probe';

/** The only pending window of the deletion of a pending generation (KMS's minimum). */
export const DISCARD_PENDING_WINDOW_DAYS = '7';

type Conditions = Record<string, Record<string, unknown>>;

function groupsOf(keyArns: string, groupIds: string[], actions: string[], extra: Conditions = {}): iam.PolicyStatement {
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
 * Conditions of `CreateKey` for new generations of the given groups only:
 * symmetric, EXTERNAL origin, single-Region, lockout check on.
 *
 * KeySpec, KeyUsage, MultiRegion and the bypass flag use `IfExists`: when a
 * request omits them KMS applies exactly the pinned value, and any other value
 * is refused.
 */
function createKeyConditions(groupIds: string[], stackId: string, requestTags: Record<string, string> = {}): Conditions {
  return {
    StringEquals: {
      [REQUEST_GROUP_TAG]: groupIds,
      [REQUEST_STACK_TAG]: stackId,
      ...requestTags,
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
  };
}

/**
 * What only a key being created satisfies, of what IAM can tell: it carries no
 * group tag yet and no alias points at it (both keys are absent from the
 * request context of `CreateKey`, so `Null` = true holds there). An existing
 * key that belongs to any group, or that any alias names, fails it.
 */
const NOT_AN_EXISTING_GROUP_OR_ALIASED_KEY = { Null: { [RESOURCE_GROUP_TAG]: 'true', [RESOURCE_ALIASES]: 'true' } };

/**
 * Actions on keys being made for the given groups (`CreateKey` has no resource,
 * so `*`), with CreateKey's conditions: every new key starts out `pending` and
 * tagged with the stack, and the implied `TagResource` cannot reach a key of a
 * group or a key with an alias.
 */
function onNewKeys(actions: string[], groupIds: string[], stackId: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions,
    resources: ['*'],
    conditions: { ...createKeyConditions(groupIds, stackId, { [REQUEST_STAGE_TAG]: PENDING_STAGE }), ...NOT_AN_EXISTING_GROUP_OR_ALIASED_KEY },
  });
}

/** `CreateKey` and the `TagResource` it implies, for new generations of the given groups (they start out `pending`). */
export function createKeyStatement(groupIds: string[], stackId: string): iam.PolicyStatement {
  return onNewKeys(perms.CREATE_KEY_ACTIONS, groupIds, stackId);
}

/** `CreateKey` of new generations of the given groups that start out `pending`. */
export function createPendingKeyStatement(groupIds: string[], stackId: string): iam.PolicyStatement {
  return onNewKeys(['kms:CreateKey'], groupIds, stackId);
}

/**
 * The `TagResource` that `CreateKey` with tags implies: the key does not exist
 * yet, so the resource is `*`; the request must tag the key with a group and
 * stage `pending`, and the key must be what CreateKey makes. IAM cannot tell
 * this call from a `TagResource` on an existing key that has no group tag and
 * no alias (see docs/security-model.md); every other existing key is refused.
 */
export function tagNewKeyStatement(groupIds: string[], stackId: string): iam.PolicyStatement {
  return onNewKeys(['kms:TagResource'], groupIds, stackId);
}

/** Everyday management of the groups' own keys. */
export function manageKeysStatement(keyArns: string, groupIds: string[], actions: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, actions);
}

/**
 * Request conditions of every tag change on an existing key: it never names
 * the group tag or the stack tag (set only by `CreateKey`; `ForAllValues` over
 * `aws:TagKeys`), and never sets stage `pending` (only `CreateKey` does;
 * `StringNotEquals` holds when the request sets no stage).
 */
export const NO_CREATE_TIME_LABELS = {
  'ForAllValues:StringNotEquals': { 'aws:TagKeys': [GROUP_TAG, STACK_TAG] },
  'StringNotEquals': { [REQUEST_STAGE_TAG]: PENDING_STAGE },
};

/** Labels (TagResource, and for the lifecycle UntagResource) of the groups' own keys, never the group tag or stage `pending`. */
export function labelKeysStatement(keyArns: string, groupIds: string[], actions: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, actions, NO_CREATE_TIME_LABELS);
}

/**
 * The one label a rotation removes: the next due date of the generation it
 * retires. `ForAllValues` on `aws:TagKeys` refuses a request that names any
 * other tag key.
 */
export function untagDueDateStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, ['kms:UntagResource'], {
    'ForAllValues:StringEquals': { 'aws:TagKeys': [perms.NEXT_DUE_AT_TAG] },
  });
}

/**
 * Key policy updates of the groups' own keys, never bypassing the lockout check.
 * `exceptUnfencedAdopted`: not of a key adopted without the fence (labelled
 * `rotation:adopted` = `no-fence`; a key without the label matches).
 */
export function putKeyPolicyStatement(keyArns: string, groupIds: string[], o: { exceptUnfencedAdopted?: boolean } = {}): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.PUT_KEY_POLICY_ACTIONS, {
    BoolIfExists: { 'kms:BypassPolicyLockoutSafetyCheck': 'false' },
    ...(o.exceptUnfencedAdopted ? { StringNotEquals: { [`aws:ResourceTag/${perms.ADOPTED_TAG}`]: 'no-fence' } } : {}),
  });
}

/**
 * Calls on the key an adopting group's alias points at, before the group's
 * tag on it reaches authorization: conditioned on the alias (kms:ResourceAliases),
 * which pointed at the key long before the stack. This is the one statement
 * that may put a group tag on an existing key: only the adopting group's own
 * (`IfExists`: the other calls carry no request tags), only on the key the
 * alias named in the template points at, never stage `pending`, and never the
 * stack tag (an adopted key was not made by this stack).
 */
export function adoptedKeyStatement(keyArns: string, aliasName: string, groupId: string, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions,
    resources: [keyArns],
    conditions: {
      ...currentGenerationConditions(aliasName),
      'ForAllValues:StringNotEquals': { 'aws:TagKeys': [STACK_TAG] },
      'StringEqualsIfExists': { [REQUEST_GROUP_TAG]: groupId },
      'StringNotEquals': { [REQUEST_STAGE_TAG]: PENDING_STAGE },
    },
  });
}

/** Encryption and decryption of the functions' own probes only (never of user data). */
export function probeStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.PROBE_ACTIONS, {
    StringEquals: { [PROBE_CONTEXT_KEY]: PROBE_PURPOSE },
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

/**
 * Keys whose every alias is a generation alias (`alias/rotation/...`, which no
 * user alias may start with): never a key a user alias points at, neither the
 * group's current generation nor any other key with an alias. `ForAllValues`
 * holds when no alias points at the key (a pending generation); the operator
 * `ForAnyValue:StringNotEquals` would refuse exactly such a key and allow one
 * with both a user alias and a generation alias. Authorization sees alias
 * changes up to 5 minutes late; retention never touches the current or the
 * previous generation, so the alias has long moved away from the keys it acts on.
 */
export const NO_USER_ALIAS = { 'ForAllValues:StringLike': { [RESOURCE_ALIASES]: [GENERATION_ALIASES] } };

/** Deletion of every key of the groups (removal policy DESTROY) with exactly the configured pending window. */
export function scheduleKeyDeletionStatement(keyArns: string, groupIds: string[], pendingWindowDays: string): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.DELETE_KEY_ACTIONS, {
    NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': pendingWindowDays },
  });
}

/**
 * Deletion of a generation still tagged `pending` (made, never promoted, so it
 * never encrypted data), with a 7-day window, whatever the removal policy.
 */
export function discardPendingKeyStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.DELETE_KEY_ACTIONS, {
    ...NO_USER_ALIAS,
    StringEquals: { [RESOURCE_STAGE_TAG]: PENDING_STAGE },
    NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': DISCARD_PENDING_WINDOW_DAYS },
  });
}

/**
 * The sweep of a Create that died (rotation function): removing a generation
 * alias of a key still tagged `pending` (KMS requires DeleteAlias on the
 * target key as well as on the alias: the alias side is the group's
 * generation-alias prefix only).
 */
export function sweepPendingKeyAliasStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, ['kms:DeleteAlias'], { StringEquals: { [RESOURCE_STAGE_TAG]: PENDING_STAGE } });
}

/**
 * Retention: disabling retired generations of the groups (never current or pending ones), and enabling
 * one again for an operator's enable-generation (decrypt-only: its fence stays).
 */
export function disableRetiredKeyStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, ['kms:DisableKey', 'kms:EnableKey'], { ...NO_USER_ALIAS, StringEquals: { [RESOURCE_STAGE_TAG]: RETIRED_STAGE } });
}

/** Retention (deleteAfter): the last use KMS recorded of retired generations of the groups. */
export function retiredKeyLastUsageStatement(keyArns: string, groupIds: string[]): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, ['kms:GetKeyLastUsage'], { StringEquals: { [RESOURCE_STAGE_TAG]: RETIRED_STAGE } });
}

/** Retention (deleteAfter): deletion of retired generations of the groups with exactly the policy's pending window. */
export function deleteRetiredKeyStatement(keyArns: string, groupIds: string[], pendingWindowDays: string): iam.PolicyStatement {
  return groupsOf(keyArns, groupIds, perms.DELETE_KEY_ACTIONS, {
    ...NO_USER_ALIAS,
    StringEquals: { [RESOURCE_STAGE_TAG]: RETIRED_STAGE },
    NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': pendingWindowDays },
  });
}

/**
 * Keys this stack's functions made (tag `rotation:stack`, which only
 * `CreateKey` writes) of a group the template no longer names: a replaced
 * group (its groupId changed, or the construct moved), whose Delete runs after
 * CloudFormation updated these policies to the new template, and the group a
 * rolled-back replacement removes.
 */
function replacedGroupsOf(keyArns: string, stackId: string, groupIds: string[], actions: string[], extra: Conditions = {}): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions,
    resources: [keyArns],
    conditions: {
      ...extra,
      StringEquals: { [RESOURCE_STACK_TAG]: stackId, ...(extra.StringEquals ?? {}) },
      StringNotEquals: { [RESOURCE_GROUP_TAG]: groupIds },
    },
  });
}

/**
 * The takeover's calls on the keys this stack made: reading them, and moving
 * the alias or a generation alias off them (for a group the template still
 * names, the same as its own statements allow, so no group condition).
 */
export function stackKeysStatement(keyArns: string, stackId: string, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources: [keyArns], conditions: { StringEquals: { [RESOURCE_STACK_TAG]: stackId } } });
}

/**
 * The takeover's calls on the key a user alias of the template points at,
 * whatever tags it carries: a replaced group's current key made before keys
 * carried the stack tag. The alias pointed at it long before the replacement.
 */
export function aliasedKeysStatement(keyArns: string, aliasNames: string[], actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources: [keyArns], conditions: { 'ForAnyValue:StringEquals': { [RESOURCE_ALIASES]: aliasNames } } });
}

/**
 * Deletion of a replaced group's keys, only in a stack that has a DESTROY
 * group, with exactly that group's pending window. `noUserAlias`: never a key
 * a user alias points at (the rotation role's deletion, a window after the
 * alias moved away).
 */
export function deleteReplacedKeyStatement(
  keyArns: string, stackId: string, groupIds: string[], pendingWindowDays: string, o: { noUserAlias?: boolean } = {},
): iam.PolicyStatement {
  return replacedGroupsOf(keyArns, stackId, groupIds, perms.DELETE_KEY_ACTIONS, {
    ...(o.noUserAlias ? NO_USER_ALIAS : {}),
    NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': pendingWindowDays },
  });
}

/** A rolled-back replacement: the discard of the removed group's generation still tagged `pending` (never promoted, never held data), 7-day window. */
export function discardReplacedPendingKeyStatement(keyArns: string, stackId: string, groupIds: string[]): iam.PolicyStatement {
  return replacedGroupsOf(keyArns, stackId, groupIds, perms.DELETE_KEY_ACTIONS, {
    ...NO_USER_ALIAS,
    StringEquals: { [RESOURCE_STAGE_TAG]: PENDING_STAGE },
    NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': DISCARD_PENDING_WINDOW_DAYS },
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

/** Alias-side permission of alias operations on the given aliases. */
export function aliasStatement(actions: string[], aliasArns: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources: aliasArns });
}

/**
 * `kms:ListAliases` and `tag:GetResources` support no resource-level
 * permissions (the Service Authorization Reference lists no resource type for
 * them), so `*` is the only possible resource. Both only read metadata.
 */
export function discoveryStatement(actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources: ['*'] });
}

/** Item access to the ledger table (it has no indexes). */
export function ledgerStatement(tableArn: string, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources: [tableArn] });
}

/**
 * Grant conditions: requests that name the alias, on keys of the group.
 * `kms:RequestAlias` is a property of the request, so this holds the moment
 * the alias moves, without waiting for authorization to see the new alias.
 */
export function requestAliasConditions(aliasName: string, aliasArn: string, groupId: string): Conditions {
  return { StringEquals: { 'kms:RequestAlias': [aliasName, aliasArn], [RESOURCE_GROUP_TAG]: groupId } };
}

/** Grant conditions: keys the alias currently points at (for callers that resolved the alias to a key id). */
export function currentGenerationConditions(aliasName: string): Conditions {
  return { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasName } };
}

/** Grant conditions: every generation of the group. */
export function everyGenerationConditions(groupId: string): Conditions {
  return { StringEquals: { [RESOURCE_GROUP_TAG]: groupId } };
}

/**
 * PutEvents of the rotation event on the stack's rotation event bus only, and
 * only with the library's source and detail type.
 */
export function putRotationEventStatement(busArn: string, source: string, detailType: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['events:PutEvents'],
    resources: [busArn],
    conditions: { StringEquals: { 'events:source': source, 'events:detail-type': detailType } },
  });
}

/** Sid of the rotation event bus's statement that keeps every other sender out. */
export const ONLY_ROTATION_ROLE_PUTS_SID = 'OnlyTheRotationFunctionPutsEvents';

/**
 * The rotation event bus's policy statement: PutEvents denied to every
 * principal but the rotation role. An explicit Deny in a resource policy
 * binds callers of the bus's own account too, whatever their identity
 * policies allow (`events:PutEvents` on `*`, say), so every event on the bus
 * was put by the rotation function.
 */
export function onlyRotationRolePutsStatement(busArn: string, rotationRoleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: ONLY_ROTATION_ROLE_PUTS_SID,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['events:PutEvents'],
    resources: [busArn],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': rotationRoleArn } },
  });
}

/**
 * Invoking the key groups' material provider functions
 * (KeyMaterialSource.fromFunction): their ARNs are added as resources, and
 * nothing else is invocable.
 */
export function invokeMaterialProviderStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [] });
}

/** What the functions do with escrow objects: write them, tag the written version, read it back (no delete, no list). */
export const ESCROW_OBJECT_ACTIONS = [
  's3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObjectTagging', 's3:PutObjectVersionTagging',
  's3:GetObjectTagging', 's3:GetObjectVersionTagging',
];

/**
 * Escrow (MaterialEscrow): the key groups' escrow object prefixes
 * (`<bucket>/<prefix><groupId>/*`) are added as resources.
 */
export function escrowObjectsStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ESCROW_OBJECT_ACTIONS, resources: [] });
}

/** The KMS key of an escrow bucket encrypted with SSE-KMS: S3 asks it for data keys on PutObject and to decrypt them on GetObject. */
export function escrowBucketKeyStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [] });
}

/** The Sid of the statement `protectKey` adds to another key's policy. */
export const DENY_FUNCTIONS_SID = 'DenyRotatingImportedKeyFunctions';

/**
 * For the key policy of a key this library does not manage: the function
 * roles may do nothing with it, whatever tags it carries.
 */
export function denyFunctionRolesStatement(roleArns: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: DENY_FUNCTIONS_SID,
    effect: iam.Effect.DENY,
    principals: roleArns.map((arn) => new iam.ArnPrincipal(arn)),
    actions: ['kms:*'],
    resources: ['*'],
  });
}
