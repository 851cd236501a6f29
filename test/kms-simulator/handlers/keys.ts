/**
 * CreateKey (SYMMETRIC_DEFAULT keys, and HMAC keys of origin AWS_KMS), DescribeKey, ListKeys and
 * UpdateKeyDescription.
 */
import { randomBytes } from 'crypto';
import { unsupported, validation } from '../errors';
import { isHmacKeySpec, materialBytesOf } from '../hmac';
import type { Input } from '../input';
import { keyMetadata } from '../metadata';
import type { KeySpec, Origin } from '../model';
import { paginate } from '../paging';
import { computeMaterialId } from '../store';
import { defaultPolicy, validatePolicy } from './policy';
import { mergeTags, parseTags } from './tags';
import { Handler, HandlerContext, Output, readLimit } from './types';

const KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096',
  'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519',
  'SYMMETRIC_DEFAULT',
  'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512',
  'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024',
] as const;
const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE'] as const;
const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;

export const MAX_DESCRIPTION = 8192;

const createKey: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const policy = input.optionalString('Policy', { max: 131072 });
  const description = input.optionalString('Description', { min: 0, max: MAX_DESCRIPTION }) ?? '';
  const keyUsage = input.optionalEnum('KeyUsage', KEY_USAGES) ?? 'ENCRYPT_DECRYPT';
  const keySpec = input.optionalEnum('KeySpec', KEY_SPECS);
  const cmkSpec = input.optionalEnum('CustomerMasterKeySpec', KEY_SPECS);
  const origin = input.optionalEnum('Origin', ORIGINS) ?? 'AWS_KMS';
  const tags = parseTags(input.list('Tags'));
  if (keySpec !== undefined && cmkSpec !== undefined && keySpec !== cmkSpec) {
    throw validation('KeySpec and CustomerMasterKeySpec must not have different values');
  }
  const spec = keySpec ?? cmkSpec ?? 'SYMMETRIC_DEFAULT';
  const hmac = isHmacKeySpec(spec);
  if (spec !== 'SYMMETRIC_DEFAULT' && !hmac) {
    throw unsupported(`KeySpec ${spec} is not supported by this simulator; only SYMMETRIC_DEFAULT and HMAC_224/256/384/512 are.`);
  }
  if (keyUsage !== (hmac ? 'GENERATE_VERIFY_MAC' : 'ENCRYPT_DECRYPT')) {
    throw validation(`KeyUsage ${keyUsage} is not compatible with KeySpec ${spec}`);
  }
  if (hmac && origin !== 'AWS_KMS') {
    throw unsupported(`Origin ${origin} is not supported by this simulator for HMAC keys; only AWS_KMS is.`);
  }
  if (origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE' || input.has('CustomKeyStoreId') || input.has('XksKeyId')) {
    throw unsupported('Custom key stores are not supported by this simulator.');
  }
  if (input.optionalBool('MultiRegion') === true) {
    throw unsupported('Multi-Region keys are not supported by this simulator.');
  }
  if (policy !== undefined) {
    validatePolicy(policy);
  }
  const key = store.createKey({
    origin: origin as Origin,
    description,
    policy: policy ?? defaultPolicy(store.accountId),
    tags: mergeTags(new Map(), tags),
    keySpec: spec as KeySpec,
    keyUsage: hmac ? 'GENERATE_VERIFY_MAC' : 'ENCRYPT_DECRYPT',
  });
  if (origin === 'AWS_KMS') {
    const bytes = randomBytes(materialBytesOf(spec));
    key.materials.push({ id: computeMaterialId(key.id, bytes), seq: store.nextMaterialSeq(), bytes, state: 'CURRENT' });
  }
  return { KeyMetadata: keyMetadata(store, key) };
};

const describeKey: Handler = ({ store, view }: HandlerContext, input: Input): Output => {
  const key = store.resolveKey(input.requiredString('KeyId', { max: 2048 }), { allowAlias: true, view });
  return { KeyMetadata: keyMetadata(store, key) };
};

const listKeys: Handler = ({ view }: HandlerContext, input: Input): Output => {
  const limit = readLimit(input, { max: 1000, default: 100 });
  const marker = input.optionalString('Marker', { max: 1024 });
  const page = paginate(view.keys(), (k) => String(k.seq).padStart(12, '0'), limit, marker);
  return {
    Keys: page.items.map((k) => ({ KeyId: k.id, KeyArn: k.arn })),
    Truncated: page.truncated,
    NextMarker: page.nextMarker,
  };
};

const updateKeyDescription: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const description = input.has('Description') ? input.optionalString('Description', { min: 0, max: MAX_DESCRIPTION }) : undefined;
  if (description === undefined) {
    throw validation("1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null");
  }
  const key = store.resolveKey(keyId, { allowAlias: false });
  store.assertNotPendingDeletion(key);
  key.description = description;
  return {};
};

export const keyHandlers: Record<string, Handler> = {
  CreateKey: createKey,
  DescribeKey: describeKey,
  ListKeys: listKeys,
  UpdateKeyDescription: updateKeyDescription,
};
