/**
 * The material provider contract (docs/material-provider.md,
 * docs/material-provider.schema.json): the request the functions send to the
 * group's provider function, and the checks of its answer that run before
 * any KMS write. Pure.
 */
import { createPublicKey } from 'node:crypto';
import { MATERIAL_BYTES, WrappingAlgorithm, WrappingKeySpec } from './material';

/** `new`: material for a new generation. `reimport`: the same material again, before (or after) it expires. */
export type ProviderPurpose = 'new' | 'reimport';

export interface ProviderRequest {
  readonly purpose: ProviderPurpose;
  readonly group: string;
  readonly generation: number;
  readonly keyId: string;
  readonly wrappingAlgorithm: WrappingAlgorithm;
  readonly wrappingKeySpec: WrappingKeySpec;
  /** The wrapping public key KMS handed out, DER (SubjectPublicKeyInfo), base64. */
  readonly publicKey: string;
  /** ISO 8601: the import token (and so the public key) is valid until then. */
  readonly importTokenExpiresAt: string;
  /** With `reimport` only: the KMS key material id the material must have. */
  readonly keyMaterialId?: string;
}

export interface ProviderAnswer {
  /** The 32-byte material wrapped to `publicKey` with `wrappingAlgorithm`. */
  readonly encryptedKeyMaterial: Buffer;
  /** With `reimport` only: the request's keyMaterialId, repeated. */
  readonly keyMaterialId?: string;
  /** The provider's own label of the material, appended to the KeyMaterialDescription. */
  readonly description?: string;
}

/** KMS's import tokens (and so the public key of a request) last 24 hours. */
const IMPORT_TOKEN_MS = 86_400_000;

/** The request for one import, from the import parameters KMS handed out. */
export function providerRequest(
  at: { group: string; generation: number; keyId: string; wrappingAlgorithm: WrappingAlgorithm; wrappingKeySpec: WrappingKeySpec },
  params: { publicKey: Uint8Array; validTo?: Date },
  now: Date,
  reimport?: { keyMaterialId: string },
): ProviderRequest {
  return {
    purpose: reimport ? 'reimport' : 'new',
    ...at,
    publicKey: Buffer.from(params.publicKey).toString('base64'),
    importTokenExpiresAt: (params.validTo ?? new Date(now.getTime() + IMPORT_TOKEN_MS)).toISOString(),
    ...(reimport ? { keyMaterialId: reimport.keyMaterialId } : {}),
  };
}

/** A provider's label: KMS's description alphabet without whitespace, so that it stays one token. */
export const PROVIDER_DESCRIPTION = /^[a-zA-Z0-9:/_.-]{1,64}$/;
const KEY_MATERIAL_ID = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RFC 5649 wrap of 32 bytes: 8 bytes longer. */
const KWP_OF_MATERIAL = MATERIAL_BYTES + 8;
const ANSWER_FIELDS = ['encryptedKeyMaterial', 'keyMaterialId', 'description'];

/** The wrapped material's exact length for the wrapping key KMS handed out. */
export function expectedWrappedLength(publicKeyDer: Uint8Array, algorithm: WrappingAlgorithm): number {
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  const modulusBytes = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  return algorithm === 'RSA_AES_KEY_WRAP_SHA_256' ? modulusBytes + KWP_OF_MATERIAL : modulusBytes;
}

/**
 * Checks a provider's answer (the Invoke payload, as text); throws a plain
 * Error whose message says what is wrong (the caller names the provider).
 */
export function parseProviderAnswer(payload: string, request: ProviderRequest, expectedLength: number): ProviderAnswer {
  let o: unknown;
  try {
    o = JSON.parse(payload);
  } catch {
    throw new Error(`answered ${payload.length === 0 ? 'nothing' : 'something that is not JSON'}; expected {"encryptedKeyMaterial":"<base64>"}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new Error(`answered ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}, not a JSON object with encryptedKeyMaterial`);
  }
  const a = o as Record<string, unknown>;
  const extra = Object.keys(a).filter((k) => !ANSWER_FIELDS.includes(k));
  if (extra.length > 0) throw new Error(`answered unexpected field(s) ${extra.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; expected only ${ANSWER_FIELDS.join(', ')}`);
  const text = a.encryptedKeyMaterial;
  if (text === undefined) throw new Error('answered no encryptedKeyMaterial');
  if (typeof text !== 'string' || text.length === 0 || !BASE64.test(text)) throw new Error('answered an encryptedKeyMaterial that is not base64');
  const wrapped = Buffer.from(text, 'base64');
  if (wrapped.length !== expectedLength) {
    throw new Error(
      `answered ${wrapped.length} bytes of encryptedKeyMaterial; ${request.wrappingAlgorithm} with ${request.wrappingKeySpec} wraps ${MATERIAL_BYTES} bytes of material into exactly ${expectedLength}`,
    );
  }
  if (a.keyMaterialId !== undefined) {
    if (request.purpose !== 'reimport') throw new Error('answered a keyMaterialId, which belongs only to purpose "reimport" (KMS names new material itself)');
    if (typeof a.keyMaterialId !== 'string' || !KEY_MATERIAL_ID.test(a.keyMaterialId) || a.keyMaterialId !== request.keyMaterialId) {
      throw new Error(`answered keyMaterialId ${JSON.stringify(String(a.keyMaterialId).slice(0, 70))}, not the requested ${request.keyMaterialId}`);
    }
  }
  if (a.description !== undefined && (typeof a.description !== 'string' || !PROVIDER_DESCRIPTION.test(a.description))) {
    throw new Error(`answered a description that is not 1-64 characters of letters, digits and : / _ . - (got ${JSON.stringify(String(a.description).slice(0, 70))})`);
  }
  return {
    encryptedKeyMaterial: wrapped,
    ...(a.keyMaterialId !== undefined ? { keyMaterialId: a.keyMaterialId as string } : {}),
    ...(a.description !== undefined ? { description: a.description as string } : {}),
  };
}
