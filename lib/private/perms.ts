// IAM action lists, by what they are for.

/** Encrypt-side actions a grantee needs on the current generation. */
export const ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/** Decrypt-side actions a grantee needs on every generation. */
export const DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];

/**
 * Actions that must reach retired generations too, so `grant()` scopes them by
 * the group tag, not the alias. DescribeKey only reads metadata.
 */
export const EVERY_GENERATION_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];

/** What `grantRotateNow` allows: invoking the rotation function. */
export const INVOKE_ACTIONS = ['lambda:InvokeFunction'];

/** Key creation: `CreateKey` with tags also needs `TagResource`. */
export const CREATE_KEY_ACTIONS = ['kms:CreateKey', 'kms:TagResource'];

/** The lifecycle function's management of its groups' keys: settings and aliases (labels: LIFECYCLE_LABEL_ACTIONS). */
export const LIFECYCLE_MANAGE_KEY_ACTIONS = [
  'kms:DescribeKey',
  'kms:ListResourceTags',
  'kms:GetKeyPolicy',
  'kms:UpdateKeyDescription',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
];

/**
 * The rotation function's management of its groups' keys: no settings
 * (UntagResource, UpdateKeyDescription) and no alias deletion (labels: ROTATION_LABEL_ACTIONS).
 */
export const ROTATION_MANAGE_KEY_ACTIONS = [
  'kms:DescribeKey',
  'kms:ListResourceTags',
  'kms:GetKeyPolicy',
  'kms:CreateAlias',
  'kms:UpdateAlias',
];

/** The lifecycle function's labels of its groups' keys (never the group tag, never stage `pending`). */
export const LIFECYCLE_LABEL_ACTIONS = ['kms:TagResource', 'kms:UntagResource'];

/** The rotation function's labels of its groups' keys (never the group tag, never stage `pending`). */
export const ROTATION_LABEL_ACTIONS = ['kms:TagResource'];

/**
 * The lifecycle function's calls on keys of a replaced group (this stack's,
 * a groupId the template no longer names): a replacing Create reads the
 * alias's key; a rolled-back replacement moves the alias off the removed
 * group's key; a Delete removes its generation aliases.
 */
export const LIFECYCLE_REPLACED_KEY_ACTIONS = ['kms:DescribeKey', 'kms:UpdateAlias', 'kms:DeleteAlias'];

/** What a replacing Create does with the key the alias points at, whether or not it carries the stack tag: read it. */
export const LIFECYCLE_ALIASED_KEY_ACTIONS = ['kms:DescribeKey'];

/** The rotation function's calls on the key the alias points at (a replaced group's): the promotion reads it and moves the alias off it. */
export const ROTATION_ALIASED_KEY_ACTIONS = ['kms:DescribeKey', 'kms:UpdateAlias'];

/** Key policy changes, pinned to the lockout safety check. */
export const PUT_KEY_POLICY_ACTIONS = ['kms:PutKeyPolicy'];

/** The round trip that tests a new generation, under the probe's encryption context only. */
export const PROBE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt'];

/** Download of the wrapping public key and import token. */
export const GET_IMPORT_PARAMETERS_ACTIONS = ['kms:GetParametersForImport'];

/** Import of wrapped material. */
export const IMPORT_ACTIONS = ['kms:ImportKeyMaterial'];

/** Deletion: of every generation (DESTROY), or of a generation that never held data (pending). */
export const DELETE_KEY_ACTIONS = ['kms:ScheduleKeyDeletion'];

/** Alias-side permission of the lifecycle function's alias operations. */
export const LIFECYCLE_ALIAS_ACTIONS = ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'];

/** The lifecycle function's discovery calls; neither has resource-level permissions. */
export const LIFECYCLE_DISCOVERY_ACTIONS = ['kms:ListAliases', 'tag:GetResources'];

/** The rotation function's discovery call; it has no resource-level permissions. */
export const ROTATION_DISCOVERY_ACTIONS = ['tag:GetResources'];

/** The lifecycle function's use of the ledger (DeleteItem: a group's item when it is destroyed; Scan: the sweep of dead Creates). */
export const LIFECYCLE_LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:Scan'];

/** The rotation function's use of the ledger: it never deletes a group's item (Scan: the sweep of dead Creates). */
export const ROTATION_LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:Scan'];

/** What CloudWatch Logs needs on the key that encrypts a log group (its documented key policy). */
export const LOG_ENCRYPTION_ACTIONS = ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'];

/** The label of the current generation's due date (the rotation role may remove only this one). */
export const NEXT_DUE_AT_TAG = 'rotation:next-due-at';

/**
 * The lifecycle function's calls on an adopted key before its group tag reaches authorization: the Create's
 * checks (DescribeKey through the alias, ListResourceTags), its labels (TagResource), and giving the labels
 * back when the Create fails (UntagResource). Never its policy, description, state or deletion.
 */
export const LIFECYCLE_ADOPT_ACTIONS = ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource'];

/** The rotation function's read of the adopted (current) key before its group tag reaches authorization. */
export const ROTATION_ADOPT_ACTIONS = ['kms:DescribeKey'];

/** The label of an adopted key: `fence` or `no-fence`. */
export const ADOPTED_TAG = 'rotation:adopted';
