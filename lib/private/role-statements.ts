import * as perms from './perms';
import * as policies from './policies';
import { StatementShare } from './shared-policy';

/** What one key group needs the function roles to be allowed to do. */
export interface KeyGroupPermissions {
  readonly groupId: string;
  readonly aliasArn: string;
  /** `alias/rotation/<groupId>/*` as an ARN. */
  readonly generationAliasArns: string;
  readonly wrappingAlgorithm: string;
  readonly wrappingKeySpec: string;
  readonly expirationModel: string;
  /** Set only when the group's removal policy is DESTROY. */
  readonly pendingWindowDays?: string;
  /** KMS actions the rotation function needs on retired generations for the group's retention policy (none for keep-all). */
  readonly retentionActions?: string[];
  /** The pending window of retention's deletions (delete-after only). */
  readonly retentionPendingWindowDays?: string;
  /** The material provider function (KeyMaterialSource.fromFunction), which both roles invoke during the import phase. */
  readonly materialFunctionArn?: string;
}

/** ARN patterns of the stack's account and Region. */
export interface AccountArns {
  /** `arn:<partition>:kms:<region>:<account>:key/*` */
  readonly keys: string;
  /** `arn:<partition>:kms:<region>:<account>:alias/*` */
  readonly aliases: string;
}

/** The statements both functions need to make, import and test a generation. */
function generationStatements(group: KeyGroupPermissions, keys: string): StatementShare[] {
  return [
    { key: 'policy', build: (ids) => policies.putKeyPolicyStatement(keys, ids) },
    { key: 'probe', build: (ids) => policies.probeStatement(keys, ids) },
    {
      key: `wrap:${group.wrappingAlgorithm}/${group.wrappingKeySpec}`,
      build: (ids) => policies.getImportParametersStatement(keys, ids, group.wrappingAlgorithm, group.wrappingKeySpec),
    },
    {
      key: `import:${group.expirationModel}`,
      build: (ids) => policies.importKeyMaterialStatement(keys, ids, group.expirationModel),
    },
    { key: 'discard', build: (ids) => policies.discardPendingKeyStatement(keys, ids) },
    ...materialStatements(group),
  ];
}

/** lambda:InvokeFunction on exactly the provider function, only for groups that have one. */
function materialStatements(group: KeyGroupPermissions): StatementShare[] {
  if (group.materialFunctionArn === undefined) return [];
  return [{ key: 'material-provider', build: () => policies.invokeMaterialProviderStatement(), resources: [group.materialFunctionArn] }];
}

/**
 * The lifecycle function (CloudFormation events): creates the group, applies
 * its settings to every generation, renames and deletes aliases and, with
 * DESTROY only, schedules every generation for deletion.
 */
export function lifecycleStatements(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  const destroy: StatementShare[] = group.pendingWindowDays === undefined ? [] : [{
    key: `delete:${group.pendingWindowDays}`,
    build: (ids) => policies.scheduleKeyDeletionStatement(arns.keys, ids, group.pendingWindowDays!),
  }];
  return [
    { key: 'create', build: (ids) => policies.createKeyStatement(ids) },
    { key: 'manage', build: (ids) => policies.manageKeysStatement(arns.keys, ids, perms.LIFECYCLE_MANAGE_KEY_ACTIONS) },
    ...generationStatements(group, arns.keys),
    ...destroy,
    {
      key: 'aliases',
      build: () => policies.aliasStatement(perms.LIFECYCLE_ALIAS_ACTIONS, []),
      resources: [group.aliasArn, group.generationAliasArns],
    },
    { key: 'renamed-aliases', build: () => policies.deleteRenamedAliasStatement(arns.aliases) },
    { key: 'discovery', build: () => policies.discoveryStatement(perms.LIFECYCLE_DISCOVERY_ACTIONS) },
  ];
}

/**
 * The rotation function (schedule and `rotate-now`): makes generations that
 * start out `pending`, promotes and fences them. It cannot change settings
 * or delete an alias; it can disable or delete a key that was ever promoted
 * only as the group's retention policy needs (retentionStatements).
 */
export function rotationStatements(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  return [
    { key: 'create', build: (ids) => policies.createPendingKeyStatement(ids) },
    { key: 'tag-new', build: (ids) => policies.tagNewKeyStatement(ids) },
    { key: 'manage', build: (ids) => policies.manageKeysStatement(arns.keys, ids, perms.ROTATION_MANAGE_KEY_ACTIONS) },
    { key: 'untag-due-date', build: (ids) => policies.untagDueDateStatement(arns.keys, ids) },
    ...generationStatements(group, arns.keys),
    {
      key: 'generation-aliases',
      build: () => policies.aliasStatement(['kms:CreateAlias'], []),
      resources: [group.generationAliasArns],
    },
    {
      key: 'user-aliases',
      build: () => policies.aliasStatement(['kms:UpdateAlias'], []),
      resources: [group.aliasArn],
    },
    { key: 'discovery', build: () => policies.discoveryStatement(perms.ROTATION_DISCOVERY_ACTIONS) },
    ...retentionStatements(group, arns.keys),
  ];
}

/**
 * Retention of retired generations, only for the groups whose policy needs
 * it: DisableKey (keepLatest, deleteAfter), ScheduleKeyDeletion with the
 * policy's pending window and GetKeyLastUsage (deleteAfter), each on keys
 * of the group tagged `retired` only. keepAll adds nothing.
 */
function retentionStatements(group: KeyGroupPermissions, keys: string): StatementShare[] {
  const actions = group.retentionActions ?? [];
  const out: StatementShare[] = [];
  if (actions.includes('kms:DisableKey')) out.push({ key: 'retention-disable', build: (ids) => policies.disableRetiredKeyStatement(keys, ids) });
  if (actions.includes('kms:GetKeyLastUsage')) out.push({ key: 'retention-last-usage', build: (ids) => policies.retiredKeyLastUsageStatement(keys, ids) });
  if (actions.includes('kms:ScheduleKeyDeletion') && group.retentionPendingWindowDays !== undefined) {
    const window = group.retentionPendingWindowDays;
    out.push({ key: `retention-delete:${window}`, build: (ids) => policies.deleteRetiredKeyStatement(keys, ids, window) });
  }
  return out;
}
