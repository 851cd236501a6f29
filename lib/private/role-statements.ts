import * as perms from './perms';
import * as policies from './policies';
import { StatementShare } from './shared-policy';

/** What one key group needs the function roles to be allowed to do. */
export interface KeyGroupPermissions {
  readonly groupId: string;
  /** The user alias (`alias/...`). */
  readonly aliasName: string;
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
  /** Set only when the group adopts the key its alias points at (AdoptExisting.alias()). */
  readonly adopt?: { readonly aliasName: string; readonly fence: boolean };
  /** The group's escrow objects (`<bucket ARN>/<prefix><groupId>/*`, MaterialEscrow), which both roles write and read during the import phase. */
  readonly escrowObjectsArn?: string;
  /** The KMS key of the escrow bucket, when it has one. */
  readonly escrowBucketKeyArn?: string;
}

/** ARN patterns of the stack's account and Region. */
export interface AccountArns {
  /** `arn:<partition>:kms:<region>:<account>:key/*` */
  readonly keys: string;
  /** `arn:<partition>:kms:<region>:<account>:alias/*` */
  readonly aliases: string;
  /** The stack id (`AWS::StackId`): the value of the stack tag on every key the functions make. */
  readonly stackId: string;
}

/** The statements both functions need to make, import and test a generation. */
function generationStatements(group: KeyGroupPermissions, keys: string): StatementShare[] {
  return [
    putKeyPolicyShare(group, keys),
    { key: 'probe', build: (ids) => policies.probeStatement(keys, ids) },
    {
      key: `wrap:${group.wrappingAlgorithm}/${group.wrappingKeySpec}`,
      build: (ids) => policies.getImportParametersStatement(keys, ids, group.wrappingAlgorithm, group.wrappingKeySpec),
    },
    {
      key: `import:${group.expirationModel}`,
      build: (ids) => policies.importKeyMaterialStatement(keys, ids, group.expirationModel),
    },
    ...materialStatements(group),
    ...escrowStatements(group),
  ];
}

/**
 * PutKeyPolicy on the group's keys. A group that adopted a key without the
 * fence may not change that key's policy at all: its statement excludes keys
 * labelled `rotation:adopted` = `no-fence`.
 */
function putKeyPolicyShare(group: KeyGroupPermissions, keys: string): StatementShare {
  if (group.adopt && !group.adopt.fence) {
    return { key: 'policy:not-adopted-unfenced', build: (ids) => policies.putKeyPolicyStatement(keys, ids, { exceptUnfencedAdopted: true }) };
  }
  return { key: 'policy', build: (ids) => policies.putKeyPolicyStatement(keys, ids) };
}

/**
 * The adopted key is not tagged with the group yet when the Create first
 * touches it (and tags reach authorization up to 5 minutes late): what each
 * function needs on it before that, on the key the group's alias points at
 * (`kms:ResourceAliases`), only for a group that adopts.
 */
function adoptionStatements(group: KeyGroupPermissions, keys: string, actions: string[]): StatementShare[] {
  if (!group.adopt) return [];
  const aliasName = group.adopt.aliasName;
  return [{ key: `adopt:${aliasName}`, build: () => policies.adoptedKeyStatement(keys, aliasName, group.groupId, actions) }];
}

/** The escrow object actions on exactly the group's prefix (and the bucket's KMS key), only for groups with escrow. */
function escrowStatements(group: KeyGroupPermissions): StatementShare[] {
  if (group.escrowObjectsArn === undefined) return [];
  const key: StatementShare[] = group.escrowBucketKeyArn === undefined ? [] : [
    { key: 'escrow-bucket-key', build: () => policies.escrowBucketKeyStatement(), resources: [group.escrowBucketKeyArn] },
  ];
  return [{ key: 'escrow-objects', build: () => policies.escrowObjectsStatement(), resources: [group.escrowObjectsArn] }, ...key];
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
    { key: 'create', build: (ids) => policies.createKeyStatement(ids, arns.stackId) },
    { key: 'manage', build: (ids) => policies.manageKeysStatement(arns.keys, ids, perms.LIFECYCLE_MANAGE_KEY_ACTIONS) },
    { key: 'labels', build: (ids) => policies.labelKeysStatement(arns.keys, ids, perms.LIFECYCLE_LABEL_ACTIONS) },
    ...generationStatements(group, arns.keys),
    // A failed Create's generation 1 (and an unrecorded key of its attempt): the lifecycle function's only deletion under RETAIN.
    { key: 'discard', build: (ids) => policies.discardPendingKeyStatement(arns.keys, ids) },
    ...destroy,
    {
      key: 'aliases',
      build: () => policies.aliasStatement(perms.LIFECYCLE_ALIAS_ACTIONS, []),
      resources: [group.aliasArn, group.generationAliasArns],
    },
    { key: 'renamed-aliases', build: () => policies.deleteRenamedAliasStatement(arns.aliases) },
    { key: 'discovery', build: () => policies.discoveryStatement(perms.LIFECYCLE_DISCOVERY_ACTIONS) },
    ...adoptionStatements(group, arns.keys, perms.LIFECYCLE_ADOPT_ACTIONS),
  ];
}

/**
 * The rotation function (schedule and `rotate-now`): makes generations that
 * start out `pending`, promotes and fences them. It cannot change settings
 * or delete a user alias. It never discards a pending generation of a
 * rotation (a failed rotation is resumed by the next run); it discards only
 * what a Create that died left (sweepStatements), and disables or deletes
 * other keys only as the group's retention policy needs (retentionStatements),
 * never a key a user alias points at.
 */
export function rotationStatements(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  return [
    { key: 'create', build: (ids) => policies.createPendingKeyStatement(ids, arns.stackId) },
    { key: 'tag-new', build: (ids) => policies.tagNewKeyStatement(ids, arns.stackId) },
    { key: 'manage', build: (ids) => policies.manageKeysStatement(arns.keys, ids, perms.ROTATION_MANAGE_KEY_ACTIONS) },
    { key: 'labels', build: (ids) => policies.labelKeysStatement(arns.keys, ids, perms.ROTATION_LABEL_ACTIONS) },
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
    ...sweepStatements(group, arns.keys),
    ...retentionStatements(group, arns.keys),
    ...adoptionStatements(group, arns.keys, perms.ROTATION_ADOPT_ACTIONS),
  ];
}

/**
 * The scheduled sweep of a Create that died (lambda/rotation/sweep.ts): what
 * the lifecycle function's discard of a failed Create may do, and no more:
 * deletion with the 7-day window of a key still tagged `pending` that no user
 * alias points at, and removal of its generation alias. The user alias and an
 * adopted key's tags are left to the lifecycle function.
 */
function sweepStatements(group: KeyGroupPermissions, keys: string): StatementShare[] {
  return [
    { key: 'discard', build: (ids) => policies.discardPendingKeyStatement(keys, ids) },
    { key: 'sweep-alias-key', build: (ids) => policies.sweepPendingKeyAliasStatement(keys, ids) },
    { key: 'sweep-generation-aliases', build: () => policies.aliasStatement(['kms:DeleteAlias'], []), resources: [group.generationAliasArns] },
  ];
}

/**
 * Retention of retired generations, only for the groups whose policy needs
 * it: DisableKey (keepLatest, deleteAfter), ScheduleKeyDeletion with the
 * policy's pending window and GetKeyLastUsage (deleteAfter), each on keys
 * of the group tagged `retired` only (and, for the first two, with no user
 * alias: policies.NO_USER_ALIAS). keepAll adds nothing.
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

// Replaced groups (a groupId the template no longer names, docs/security-model.md): statements kept in a managed
// policy of each role, apart from its inline policy, which IAM caps at 10,240 characters for all groups of a stack.

/**
 * What the takeover path (lambda/rotation/takeover.ts) needs on the key a
 * template's user alias points at, whatever its tags (a replaced group's
 * key, made before keys carried the stack tag or not).
 */
function aliasedKeyStatements(group: KeyGroupPermissions, arns: AccountArns, actions: string[]): StatementShare[] {
  return [{ key: 'aliased-keys', build: (_, aliasNames) => policies.aliasedKeysStatement(arns.keys, aliasNames, actions), values: [group.aliasName] }];
}

/**
 * The lifecycle function's deletions of a replaced group's keys: a rolled-back
 * replacement discards the removed group's never-promoted generation; with
 * DESTROY, the Delete of the group this one replaced schedules its keys with
 * the window the template declares now (the template says nothing of the
 * replaced group's own any more).
 */
function replacedGroupDeletions(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  const window = group.pendingWindowDays;
  return [
    { key: 'replaced-discard', build: (ids) => policies.discardReplacedPendingKeyStatement(arns.keys, arns.stackId, ids) },
    ...(window === undefined ? [] : [{
      key: `replaced-delete:${window}`,
      build: (ids: string[]) => policies.deleteReplacedKeyStatement(arns.keys, arns.stackId, ids, window),
    }]),
  ];
}

/**
 * The handover of a replaced group (DESTROY) to its successor: a window after
 * the successor's promotion, the deletion of the replaced group's keys its
 * Delete left because the alias still resolved to them; never a key a user
 * alias points at, with the pending window the template declares.
 */
function handoverStatements(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  if (group.pendingWindowDays === undefined) return [];
  const window = group.pendingWindowDays;
  return [{ key: `handover-delete:${window}`, build: (ids) => policies.deleteReplacedKeyStatement(arns.keys, arns.stackId, ids, window, { noUserAlias: true }) }];
}

/**
 * The lifecycle function's statements for a replaced group's keys (and the
 * group a rolled-back replacement removes): its deletions, moving the alias
 * and removing generation aliases on keys this stack made (the alias of a
 * just-promoted key may not be authorizable yet), reading the alias's key.
 */
export function lifecycleReplacedGroupStatements(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  return [
    ...replacedGroupDeletions(group, arns),
    { key: 'stack-keys', build: () => policies.stackKeysStatement(arns.keys, arns.stackId, perms.LIFECYCLE_REPLACED_KEY_ACTIONS) },
    ...aliasedKeyStatements(group, arns, perms.LIFECYCLE_ALIASED_KEY_ACTIONS),
  ];
}

/** The rotation function's: a replacement's promotion moves the alias off the replaced group's key (named by the alias for long); the handover. */
export function rotationReplacedGroupStatements(group: KeyGroupPermissions, arns: AccountArns): StatementShare[] {
  return [...aliasedKeyStatements(group, arns, perms.ROTATION_ALIASED_KEY_ACTIONS), ...handoverStatements(group, arns)];
}
