/**
 * GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial.
 */
import { randomBytes } from 'crypto';
import { MS_PER_DAY, MS_PER_HOUR } from '../clock';
import { incorrectKeyMaterial, invalidCiphertext, invalidState, notFound, SimError, unsupported, validation } from '../errors';
import type { Input } from '../input';
import type { ExpirationModel, KeyRecord, WrappingAlgorithm, WrappingKeySpec } from '../model';
import { computeMaterialId } from '../store';
import { unwrapKeyMaterial, WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from '../wrapping';
import type { Handler, HandlerContext, Output } from './types';

/** Import tokens and public keys are valid for 24 hours. */
export const IMPORT_PARAMETERS_TTL_MS = 24 * MS_PER_HOUR;
/** ValidTo may be at most 365 days after the request. */
export const MAX_VALID_TO_MS = 365 * MS_PER_DAY;
/** Symmetric (SYMMETRIC_DEFAULT) key material is 256 bits. */
export const SYMMETRIC_MATERIAL_BYTES = 32;

const EXPIRATION_MODELS: readonly ExpirationModel[] = ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'];
const IMPORT_TYPES = ['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL'] as const;

function requireExternal(key: KeyRecord): void {
  if (key.origin !== 'EXTERNAL') {
    throw unsupported(`${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
}

const getParametersForImport: Handler = async ({ store, wrappingKeys }: HandlerContext, input: Input): Promise<Output> => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const algorithmRaw = input.requiredString('WrappingAlgorithm');
  const specRaw = input.requiredString('WrappingKeySpec');
  if (algorithmRaw === 'RSAES_PKCS1_V1_5') {
    throw validation('The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported (since October 10, 2023). Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.');
  }
  if (!(WRAPPING_ALGORITHMS as readonly string[]).includes(algorithmRaw)) {
    throw validation(`WrappingAlgorithm ${algorithmRaw} is not valid for a symmetric encryption key`);
  }
  if (!(WRAPPING_KEY_SPECS as readonly string[]).includes(specRaw)) {
    throw validation(`WrappingKeySpec ${specRaw} is not valid; use RSA_2048, RSA_3072 or RSA_4096`);
  }
  const key = store.resolveKey(keyId, { allowAlias: false });
  requireExternal(key);
  store.assertNotPendingDeletion(key);
  const pair = await wrappingKeys.pairFor(specRaw as WrappingKeySpec, key.id);
  const token = randomBytes(64);
  const validTo = new Date(store.now().getTime() + IMPORT_PARAMETERS_TTL_MS);
  store.tokens.set(token.toString('base64'), {
    keyId: key.id,
    algorithm: algorithmRaw as WrappingAlgorithm,
    spec: pair.spec,
    privateKey: pair.privateKey,
    modulusBytes: pair.modulusBytes,
    validTo,
  });
  return { KeyId: key.arn, ImportToken: token, PublicKey: pair.publicKeyDer, ParametersValidTo: validTo };
};

const importKeyMaterial: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const token = input.requiredBlob('ImportToken', { max: 6144 });
  const encrypted = input.requiredBlob('EncryptedKeyMaterial', { max: 6144 });
  const validTo = input.optionalDate('ValidTo');
  const expirationModel = input.optionalEnum('ExpirationModel', EXPIRATION_MODELS) ?? 'KEY_MATERIAL_EXPIRES';
  const importTypeIn = input.optionalEnum('ImportType', IMPORT_TYPES);
  const materialDescription = input.optionalString('KeyMaterialDescription', { min: 0, max: 256 });
  const expectedMaterialId = input.optionalString('KeyMaterialId', { max: 64 });

  const key = store.resolveKey(keyId, { allowAlias: false });
  requireExternal(key);
  store.assertNotPendingDeletion(key);

  const now = store.now();
  if (expirationModel === 'KEY_MATERIAL_EXPIRES') {
    if (validTo === undefined) {
      throw validation('ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES');
    }
    if (validTo.getTime() <= now.getTime()) {
      throw validation('ValidTo must be in the future');
    }
    if (validTo.getTime() - now.getTime() > MAX_VALID_TO_MS) {
      throw validation('ValidTo must be at most 365 days from the request date');
    }
  } else if (validTo !== undefined) {
    throw validation('ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
  }

  const tokenRecord = store.tokens.get(token.toString('base64'));
  if (!tokenRecord || tokenRecord.keyId !== key.id) {
    throw new SimError('InvalidImportTokenException', 'The import token is invalid or was issued for a different KMS key.');
  }
  if (now.getTime() > tokenRecord.validTo.getTime()) {
    throw new SimError('ExpiredImportTokenException', 'The import token has expired. Call GetParametersForImport to get a new one.');
  }

  let material: Buffer;
  try {
    material = unwrapKeyMaterial(tokenRecord.privateKey, tokenRecord.modulusBytes, tokenRecord.algorithm, encrypted);
  } catch {
    throw invalidCiphertext('KMS cannot decrypt the EncryptedKeyMaterial with the wrapping key and algorithm of this import token.');
  }
  if (material.length !== SYMMETRIC_MATERIAL_BYTES) {
    throw incorrectKeyMaterial(`Key material for a SYMMETRIC_DEFAULT key must be ${SYMMETRIC_MATERIAL_BYTES} bytes, got ${material.length}.`);
  }

  const materialId = computeMaterialId(key.id, material);
  const everImported = key.materials.length > 0;
  const importType = importTypeIn ?? (everImported ? 'EXISTING_KEY_MATERIAL' : 'NEW_KEY_MATERIAL');
  if (expectedMaterialId !== undefined) {
    if (importType === 'NEW_KEY_MATERIAL') {
      throw validation('KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL');
    }
    if (expectedMaterialId !== materialId) {
      throw incorrectKeyMaterial('The imported key material does not match the specified KeyMaterialId.');
    }
  }
  const stateBefore = store.keyState(key);
  const existing = key.materials.find((m) => m.id === materialId);
  store.importedMaterials.push(Buffer.from(material));
  const expiry = {
    expirationModel,
    validTo: expirationModel === 'KEY_MATERIAL_EXPIRES' ? validTo : undefined,
  };

  if (importType === 'EXISTING_KEY_MATERIAL') {
    if (!existing) {
      throw incorrectKeyMaterial(
        everImported
          ? 'The key material is not the key material previously imported into this KMS key.'
          : 'No key material has been imported into this KMS key yet; use ImportType NEW_KEY_MATERIAL.',
      );
    }
    existing.bytes = material;
    existing.expirationModel = expiry.expirationModel;
    existing.validTo = expiry.validTo;
    if (materialDescription !== undefined) {
      existing.description = materialDescription;
    }
  } else {
    if (existing) {
      throw incorrectKeyMaterial('NEW_KEY_MATERIAL was requested but this key material is already associated with the KMS key.');
    }
    if (everImported && stateBefore === 'PendingImport') {
      throw incorrectKeyMaterial('The KMS key is missing previously imported key material; reimport the same key material first.');
    }
    if (key.materials.some((m) => m.state === 'PENDING_ROTATION')) {
      throw invalidState(`${key.arn} already has key material pending rotation; rotate or delete it first.`);
    }
    key.materials.push({
      id: materialId,
      seq: store.nextMaterialSeq(),
      bytes: material,
      state: everImported ? 'PENDING_ROTATION' : 'CURRENT',
      ...expiry,
      ...(materialDescription !== undefined ? { description: materialDescription } : {}),
    });
  }
  if (stateBefore === 'PendingImport' && store.keyState(key) !== 'PendingImport') {
    key.disabled = false;
  }
  return { KeyId: key.arn, KeyMaterialId: materialId };
};

const deleteImportedKeyMaterial: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const materialId = input.optionalString('KeyMaterialId', { max: 64 });
  const key = store.resolveKey(keyId, { allowAlias: false });
  requireExternal(key);
  const target = materialId !== undefined ? key.materials.find((m) => m.id === materialId) : store.currentMaterial(key);
  if (materialId !== undefined && !target) {
    throw notFound(`Key material ${materialId} is not associated with ${key.arn}`);
  }
  if (!target) {
    return { KeyId: key.arn };
  }
  if (target.state === 'PENDING_ROTATION') {
    key.materials = key.materials.filter((m) => m !== target);
  } else {
    target.bytes = undefined;
    target.validTo = undefined;
  }
  return { KeyId: key.arn, KeyMaterialId: target.id };
};

export const importHandlers: Record<string, Handler> = {
  GetParametersForImport: getParametersForImport,
  ImportKeyMaterial: importKeyMaterial,
  DeleteImportedKeyMaterial: deleteImportedKeyMaterial,
};
