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

/** Key creation: `CreateKey` with tags also needs `TagResource`. */
export const CREATE_KEY_ACTIONS = ['kms:CreateKey', 'kms:TagResource'];

/** What the rotation function does to keys of its own group. */
export const MANAGE_KEY_ACTIONS = [
  'kms:DescribeKey',
  'kms:ListResourceTags',
  'kms:GetKeyPolicy',
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:UpdateKeyDescription',
];

/** Key policy changes, pinned to the lockout safety check. */
export const PUT_KEY_POLICY_ACTIONS = ['kms:PutKeyPolicy'];

/** Download of the wrapping public key and import token. */
export const GET_IMPORT_PARAMETERS_ACTIONS = ['kms:GetParametersForImport'];

/** Import of wrapped material. */
export const IMPORT_ACTIONS = ['kms:ImportKeyMaterial'];

/** Only granted when the removal policy is DESTROY. */
export const DELETE_KEY_ACTIONS = ['kms:ScheduleKeyDeletion'];

/** Alias-side permission of the alias operations. */
export const ALIAS_ACTIONS = ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'];

/** Discovery calls that have no resource-level permissions. */
export const DISCOVERY_ACTIONS = ['kms:ListAliases', 'tag:GetResources'];
