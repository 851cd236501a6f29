/**
 * Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and ReEncrypt
 * (SYMMETRIC_DEFAULT keys only, AES-256-GCM under the key material; other key usages answer
 * InvalidKeyUsageException).
 */
import { randomBytes, randomUUID } from 'crypto';
import { decryptBlob, encryptBlob, parseBlob } from '../ciphertext';
import { invalidCiphertext, invalidState, notFound, SimError, validation } from '../errors';
import type { Input } from '../input';
import type { KeyRecord, KeyUsage } from '../model';
import type { SimStore } from '../store';
import type { Handler, HandlerContext, Output } from './types';

const ENCRYPTION_ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const;
const DATA_KEY_SPECS = ['AES_256', 'AES_128'] as const;
const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

function checkAlgorithm(input: Input, member: string, key?: KeyRecord): void {
  const algorithm = input.optionalEnum(member, ENCRYPTION_ALGORITHMS);
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new SimError('InvalidKeyUsageException', `${key?.arn ?? 'The KMS key'} does not support ${algorithm}; it supports only SYMMETRIC_DEFAULT.`);
  }
}

/** InvalidKeyUsageException unless `key` has `usage` (checked before the key state, like the algorithm). */
export function assertKeyUsage(key: KeyRecord, usage: KeyUsage, op: string): void {
  if (key.keyUsage !== usage) {
    throw new SimError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage} which is not valid for ${op}.`);
  }
}

export function dryRun(input: Input): void {
  if (input.optionalBool('DryRun') === true) {
    throw new SimError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.', 412);
  }
}

/** Encrypts under the current key material of an enabled key. */
function encryptUnder(
  store: SimStore,
  key: KeyRecord,
  plaintext: Buffer,
  context: Record<string, string>,
  op: string,
): { blob: Buffer; materialId: string } {
  assertKeyUsage(key, 'ENCRYPT_DECRYPT', op);
  store.assertUsable(key);
  const material = store.currentMaterial(key);
  if (!material?.bytes) {
    throw invalidState(`${key.arn} is pending import.`);
  }
  return { blob: encryptBlob(key.id, { id: material.id, bytes: material.bytes }, plaintext, context), materialId: material.id };
}

/**
 * Resolves the KeyId of a cryptographic operation. An alias is resolved in the handler's view
 * (in the eventual consistency mode a moment ago, so a caller may still reach the alias's
 * previous key), the key itself in the latest state.
 */
export function resolveCryptoKey(ctx: HandlerContext, keyId: string): KeyRecord {
  return ctx.store.resolveKey(keyId, { allowAlias: true, aliasView: ctx.view });
}

/**
 * Decrypts a ciphertext blob. With `keyIdParam` the blob must have been produced by that key
 * (IncorrectKeyException otherwise).
 */
function decryptWith(
  ctx: HandlerContext,
  blob: Buffer,
  context: Record<string, string>,
  keyIdParam: string | undefined,
): { key: KeyRecord; plaintext: Buffer; materialId: string } {
  const store = ctx.store;
  const parsed = parseBlob(blob);
  let key: KeyRecord | undefined;
  if (keyIdParam !== undefined) {
    key = resolveCryptoKey(ctx, keyIdParam);
    assertKeyUsage(key, 'ENCRYPT_DECRYPT', 'Decrypt');
    if (key.id !== parsed.keyId) {
      throw new SimError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
    }
  } else {
    key = store.keys.get(parsed.keyId);
    if (!key) {
      throw notFound(`Key '${store.keyArn(parsed.keyId)}' does not exist`);
    }
  }
  assertKeyUsage(key, 'ENCRYPT_DECRYPT', 'Decrypt');
  store.assertUsable(key);
  const material = key.materials.find((m) => m.id === parsed.materialId && m.state !== 'PENDING_ROTATION');
  if (!material) {
    throw invalidCiphertext('The ciphertext refers to key material that is not associated with this KMS key.');
  }
  if (!material.bytes) {
    throw invalidState(`${key.arn} is pending import.`);
  }
  return { key, plaintext: decryptBlob(parsed, material.bytes, context), materialId: material.id };
}

const encrypt: Handler = (ctx: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const plaintext = input.requiredBlob('Plaintext', { max: MAX_PLAINTEXT });
  const context = input.stringMap('EncryptionContext');
  const key = resolveCryptoKey(ctx, keyId);
  checkAlgorithm(input, 'EncryptionAlgorithm', key);
  const { blob } = encryptUnder(ctx.store, key, plaintext, context, 'Encrypt');
  dryRun(input);
  return { CiphertextBlob: blob, KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
};

const decrypt: Handler = (ctx: HandlerContext, input: Input): Output => {
  const blob = input.requiredBlob('CiphertextBlob', { max: MAX_CIPHERTEXT });
  const context = input.stringMap('EncryptionContext');
  const keyId = input.optionalString('KeyId', { max: 2048 });
  checkAlgorithm(input, 'EncryptionAlgorithm');
  if (input.has('Recipient')) {
    throw new SimError('UnsupportedOperationException', 'Recipient (Nitro Enclaves attestation) is not supported by this simulator.');
  }
  const { key, plaintext, materialId } = decryptWith(ctx, blob, context, keyId);
  dryRun(input);
  return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: materialId };
};

function dataKey(ctx: HandlerContext, input: Input): { key: KeyRecord; plaintext: Buffer; blob: Buffer; materialId: string } {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const context = input.stringMap('EncryptionContext');
  const keySpec = input.optionalEnum('KeySpec', DATA_KEY_SPECS);
  const numberOfBytes = input.optionalInt('NumberOfBytes', 1, 1024);
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw validation('Please specify either KeySpec or NumberOfBytes, but not both.');
  }
  if (input.has('Recipient')) {
    throw new SimError('UnsupportedOperationException', 'Recipient (Nitro Enclaves attestation) is not supported by this simulator.');
  }
  const key = resolveCryptoKey(ctx, keyId);
  const size = numberOfBytes ?? (keySpec === 'AES_128' ? 16 : 32);
  const plaintext = randomBytes(size);
  const { blob, materialId } = encryptUnder(ctx.store, key, plaintext, context, 'GenerateDataKey');
  dryRun(input);
  return { key, plaintext, blob, materialId };
}

const generateDataKey: Handler = (ctx: HandlerContext, input: Input): Output => {
  const { key, plaintext, blob, materialId } = dataKey(ctx, input);
  return { CiphertextBlob: blob, Plaintext: plaintext, KeyId: key.arn, KeyMaterialId: materialId };
};

const generateDataKeyWithoutPlaintext: Handler = (ctx: HandlerContext, input: Input): Output => {
  const { key, blob, materialId } = dataKey(ctx, input);
  return { CiphertextBlob: blob, KeyId: key.arn, KeyMaterialId: materialId };
};

const reEncrypt: Handler = (ctx: HandlerContext, input: Input): Output => {
  const blob = input.requiredBlob('CiphertextBlob', { max: MAX_CIPHERTEXT });
  const sourceContext = input.stringMap('SourceEncryptionContext');
  const sourceKeyId = input.optionalString('SourceKeyId', { max: 2048 });
  const destinationKeyId = input.requiredString('DestinationKeyId', { max: 2048 });
  const destinationContext = input.stringMap('DestinationEncryptionContext');
  checkAlgorithm(input, 'SourceEncryptionAlgorithm');
  checkAlgorithm(input, 'DestinationEncryptionAlgorithm');
  const source = decryptWith(ctx, blob, sourceContext, sourceKeyId);
  const destination = resolveCryptoKey(ctx, destinationKeyId);
  const { blob: out, materialId } = encryptUnder(ctx.store, destination, source.plaintext, destinationContext, 'ReEncrypt');
  dryRun(input);
  return {
    CiphertextBlob: out,
    SourceKeyId: source.key.arn,
    KeyId: destination.arn,
    SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    SourceKeyMaterialId: source.materialId,
    DestinationKeyMaterialId: materialId,
  };
};

/** Records a successful operation on each key it used, as KMS's key-usage tracking does. */
export function tracked(operation: string, handler: Handler): Handler {
  return async (ctx, input) => {
    const out = await handler(ctx, input);
    for (const arn of new Set([out.KeyId, out.SourceKeyId])) {
      if (typeof arn !== 'string') continue;
      const key = ctx.store.resolveKey(arn, { allowAlias: false });
      key.lastUsage = { operation, at: ctx.store.clock.now(), cloudTrailEventId: randomUUID() };
    }
    return out;
  };
}

/** GetKeyLastUsage (2026): the last successful cryptographic operation, its time and CloudTrail event id. */
const getKeyLastUsage: Handler = ({ store, view }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const key = store.resolveKey(keyId, { allowAlias: false, view });
  const usage = key.lastUsage;
  return {
    KeyId: key.id,
    KeyLastUsage: usage ? { Operation: usage.operation, Timestamp: usage.at.getTime() / 1000, CloudTrailEventId: usage.cloudTrailEventId } : {},
    TrackingStartDate: key.creationDate.getTime() / 1000,
    KeyCreationDate: key.creationDate.getTime() / 1000,
  };
};

export const cryptoHandlers: Record<string, Handler> = {
  Encrypt: tracked('Encrypt', encrypt),
  Decrypt: tracked('Decrypt', decrypt),
  GenerateDataKey: tracked('GenerateDataKey', generateDataKey),
  GenerateDataKeyWithoutPlaintext: tracked('GenerateDataKeyWithoutPlaintext', generateDataKeyWithoutPlaintext),
  ReEncrypt: tracked('ReEncrypt', reEncrypt),
  GetKeyLastUsage: getKeyLastUsage,
};
