/**
 * What each operation must be authorized for (authorization mode): the action(s), the resource
 * each is checked on, and the condition keys that come from the request itself. Keys are
 * resolved as the operation resolves them (same view, same NotFoundException), so a request
 * for a missing key answers NotFoundException before any access decision.
 *
 * Alias operations are authorized twice, as AWS documents: on the alias ARN (identity
 * policies only) and on the key(s): CreateAlias/DeleteAlias on the target key, UpdateAlias on
 * the current and the new target key. CreateKey with Tags also needs kms:TagResource. ReEncrypt
 * needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key.
 */
import type { RequestContext } from '../iam';
import { parseBlob } from './ciphertext';
import {
  encryptionContextConditions,
  keyPropertyConditions,
  requestAliasCondition,
  requestTagConditions,
  tagKeysCondition,
} from './condition-context';
import { notFound } from './errors';
import type { HandlerContext } from './handlers';
import { checkAliasName } from './handlers/aliases';
import { resolveCryptoKey } from './handlers/crypto-ops';
import { parseTags } from './handlers/tags';
import type { Input } from './input';
import type { KeyRecord } from './model';

export interface AccessCheck {
  readonly action: string;
  /**
   * The key acted on (its key policy applies, with the identity policies), or `'*'` / an alias
   * ARN (identity policies only).
   */
  readonly target: KeyRecord | string;
  /** Condition keys taken from the request. */
  readonly context: RequestContext;
}

export type AccessPlan = (ctx: HandlerContext, input: Input) => AccessCheck[];

const KEY_ID = { max: 2048 };
const ALIAS_NAME = { max: 1024 };
const MAX_CIPHERTEXT = 6144;

/** A key named by key id or key ARN, in the request's view. */
function namedKey(ctx: HandlerContext, input: Input, member = 'KeyId'): KeyRecord {
  return ctx.store.resolveKey(input.requiredString(member, KEY_ID), { allowAlias: false, view: ctx.view });
}

function aliasNameOf(ctx: HandlerContext, keyId: string | undefined): string | undefined {
  return keyId === undefined ? undefined : ctx.store.parseKeyId(keyId).aliasName;
}

/** The key that produced a ciphertext blob (Decrypt / ReEncrypt without a key id). */
function keyOfCiphertext(ctx: HandlerContext, blob: Buffer): KeyRecord {
  const { keyId } = parseBlob(blob);
  const key = ctx.store.keys.get(keyId);
  if (!key) {
    throw notFound(`Key '${ctx.store.keyArn(keyId)}' does not exist`);
  }
  return key;
}

function bypassCondition(input: Input): RequestContext {
  return { 'kms:BypassPolicyLockoutSafetyCheck': input.optionalBool('BypassPolicyLockoutSafetyCheck') ?? false };
}

const onAccount = (action: string): AccessPlan => () => [{ action, target: '*', context: {} }];

const onKey = (action: string, fromRequest: (input: Input) => RequestContext = () => ({})): AccessPlan =>
  (ctx, input) => {
    const target = namedKey(ctx, input);
    return [{ action, target, context: fromRequest(input) }];
  };

/** Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext. */
const onCryptoKey = (action: string): AccessPlan => (ctx, input) => {
  const keyId = input.requiredString('KeyId', KEY_ID);
  const target = resolveCryptoKey(ctx, keyId);
  return [{
    action,
    target,
    context: { ...requestAliasCondition(aliasNameOf(ctx, keyId)), ...encryptionContextConditions(input.stringMap('EncryptionContext')) },
  }];
};

/** GenerateMac, VerifyMac: kms:MacAlgorithm and kms:RequestAlias from the request. */
const onMacKey = (action: string): AccessPlan => (ctx, input) => {
  const keyId = input.requiredString('KeyId', KEY_ID);
  const target = resolveCryptoKey(ctx, keyId);
  return [{
    action,
    target,
    context: { ...requestAliasCondition(aliasNameOf(ctx, keyId)), ...optionalStringCondition(input, 'MacAlgorithm', 'kms:MacAlgorithm') },
  }];
};

const createKey: AccessPlan = (_ctx, input) => {
  const tags = requestTagConditions(parseTags(input.list('Tags')));
  const properties = keyPropertyConditions({
    origin: input.optionalString('Origin') ?? 'AWS_KMS',
    keySpec: input.optionalString('KeySpec') ?? input.optionalString('CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT',
    keyUsage: input.optionalString('KeyUsage') ?? 'ENCRYPT_DECRYPT',
    multiRegion: input.optionalBool('MultiRegion') ?? false,
  });
  const checks: AccessCheck[] = [{ action: 'kms:CreateKey', target: '*', context: { ...properties, ...bypassCondition(input), ...tags } }];
  if (input.list('Tags').length > 0) {
    checks.push({ action: 'kms:TagResource', target: '*', context: { ...properties, ...tags } });
  }
  return checks;
};

const describeKey: AccessPlan = (ctx, input) => {
  const keyId = input.requiredString('KeyId', KEY_ID);
  const target = ctx.store.resolveKey(keyId, { allowAlias: true, view: ctx.view });
  return [{ action: 'kms:DescribeKey', target, context: requestAliasCondition(aliasNameOf(ctx, keyId)) }];
};

const decrypt: AccessPlan = (ctx, input) => {
  const blob = input.requiredBlob('CiphertextBlob', { max: MAX_CIPHERTEXT });
  const keyId = input.optionalString('KeyId', KEY_ID);
  const target = keyId !== undefined ? resolveCryptoKey(ctx, keyId) : keyOfCiphertext(ctx, blob);
  return [{
    action: 'kms:Decrypt',
    target,
    context: { ...requestAliasCondition(aliasNameOf(ctx, keyId)), ...encryptionContextConditions(input.stringMap('EncryptionContext')) },
  }];
};

const reEncrypt: AccessPlan = (ctx, input) => {
  const blob = input.requiredBlob('CiphertextBlob', { max: MAX_CIPHERTEXT });
  const sourceKeyId = input.optionalString('SourceKeyId', KEY_ID);
  const destinationKeyId = input.requiredString('DestinationKeyId', KEY_ID);
  const source = sourceKeyId !== undefined ? resolveCryptoKey(ctx, sourceKeyId) : keyOfCiphertext(ctx, blob);
  const destination = resolveCryptoKey(ctx, destinationKeyId);
  return [
    {
      action: 'kms:ReEncryptFrom',
      target: source,
      context: { ...requestAliasCondition(aliasNameOf(ctx, sourceKeyId)), ...encryptionContextConditions(input.stringMap('SourceEncryptionContext')) },
    },
    {
      action: 'kms:ReEncryptTo',
      target: destination,
      context: { ...requestAliasCondition(aliasNameOf(ctx, destinationKeyId)), ...encryptionContextConditions(input.stringMap('DestinationEncryptionContext')) },
    },
  ];
};

function aliasName(input: Input): string {
  const name = input.requiredString('AliasName', ALIAS_NAME);
  checkAliasName(name);
  return name;
}

/** The key an existing alias points at now (alias operations are writes: latest state). */
function currentTarget(ctx: HandlerContext, name: string): KeyRecord {
  const alias = ctx.store.aliases.get(name);
  const key = alias && ctx.store.keys.get(alias.targetKeyId);
  if (!key) {
    throw notFound(`Alias ${ctx.store.aliasArn(name)} is not found.`);
  }
  return key;
}

const onAlias = (action: string, ctx: HandlerContext, name: string): AccessCheck => ({ action, target: ctx.store.aliasArn(name), context: {} });

const createAlias: AccessPlan = (ctx, input) => {
  const name = aliasName(input);
  const target = namedKey(ctx, input, 'TargetKeyId');
  return [onAlias('kms:CreateAlias', ctx, name), { action: 'kms:CreateAlias', target, context: {} }];
};

const updateAlias: AccessPlan = (ctx, input) => {
  const name = aliasName(input);
  const current = currentTarget(ctx, name);
  const next = namedKey(ctx, input, 'TargetKeyId');
  return [
    onAlias('kms:UpdateAlias', ctx, name),
    { action: 'kms:UpdateAlias', target: current, context: {} },
    { action: 'kms:UpdateAlias', target: next, context: {} },
  ];
};

const deleteAlias: AccessPlan = (ctx, input) => {
  const name = aliasName(input);
  const current = currentTarget(ctx, name);
  return [onAlias('kms:DeleteAlias', ctx, name), { action: 'kms:DeleteAlias', target: current, context: {} }];
};

function optionalStringCondition(input: Input, member: string, key: string): RequestContext {
  const value = input.optionalString(member);
  return value !== undefined ? { [key]: value } : {};
}

export const ACCESS_PLANS: Readonly<Record<string, AccessPlan>> = {
  CreateKey: createKey,
  DescribeKey: describeKey,
  ListKeys: onAccount('kms:ListKeys'),
  UpdateKeyDescription: onKey('kms:UpdateKeyDescription'),
  GetParametersForImport: onKey('kms:GetParametersForImport', (input) => ({
    ...optionalStringCondition(input, 'WrappingAlgorithm', 'kms:WrappingAlgorithm'),
    ...optionalStringCondition(input, 'WrappingKeySpec', 'kms:WrappingKeySpec'),
  })),
  ImportKeyMaterial: onKey('kms:ImportKeyMaterial', (input) => {
    const validTo = input.optionalDate('ValidTo');
    return {
      ...optionalStringCondition(input, 'ExpirationModel', 'kms:ExpirationModel'),
      ...(validTo !== undefined ? { 'kms:ValidTo': Math.floor(validTo.getTime() / 1000) } : {}),
    };
  }),
  DeleteImportedKeyMaterial: onKey('kms:DeleteImportedKeyMaterial'),
  Encrypt: onCryptoKey('kms:Encrypt'),
  Decrypt: decrypt,
  GenerateDataKey: onCryptoKey('kms:GenerateDataKey'),
  GenerateDataKeyWithoutPlaintext: onCryptoKey('kms:GenerateDataKeyWithoutPlaintext'),
  ReEncrypt: reEncrypt,
  GenerateMac: onMacKey('kms:GenerateMac'),
  VerifyMac: onMacKey('kms:VerifyMac'),
  CreateAlias: createAlias,
  UpdateAlias: updateAlias,
  DeleteAlias: deleteAlias,
  ListAliases: onAccount('kms:ListAliases'),
  TagResource: onKey('kms:TagResource', (input) => requestTagConditions(parseTags(input.list('Tags')))),
  UntagResource: onKey('kms:UntagResource', (input) => tagKeysCondition(input.list('TagKeys').filter((k): k is string => typeof k === 'string'))),
  ListResourceTags: onKey('kms:ListResourceTags'),
  GetKeyPolicy: onKey('kms:GetKeyPolicy'),
  PutKeyPolicy: onKey('kms:PutKeyPolicy', bypassCondition),
  EnableKey: onKey('kms:EnableKey'),
  DisableKey: onKey('kms:DisableKey'),
  ScheduleKeyDeletion: onKey('kms:ScheduleKeyDeletion', (input) => {
    const days = input.raw.PendingWindowInDays;
    return typeof days === 'number' ? { 'kms:ScheduleKeyDeletionPendingWindowInDays': days } : {};
  }),
  CancelKeyDeletion: onKey('kms:CancelKeyDeletion'),
  RotateKeyOnDemand: onKey('kms:RotateKeyOnDemand'),
  ListKeyRotations: onKey('kms:ListKeyRotations'),
  GetKeyLastUsage: onKey('kms:GetKeyLastUsage'),
  GetResources: onAccount('tag:GetResources'),
};
