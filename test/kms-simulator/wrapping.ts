/**
 * Server side of key material import: RSA wrapping key pairs and unwrapping of the
 * EncryptedKeyMaterial of ImportKeyMaterial.
 *
 * - RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256: the material is RSA-OAEP encrypted directly
 *   (MGF1 uses the same hash as OAEP).
 * - RSA_AES_KEY_WRAP_SHA_1 / RSA_AES_KEY_WRAP_SHA_256: the first modulus-length bytes are an
 *   RSA-OAEP encrypted ephemeral AES-256 key; the rest is the material wrapped with that key
 *   using AES key wrap with padding (RFC 5649, alternative IV A65959A6).
 */
import { constants, createDecipheriv, createPublicKey, generateKeyPair, KeyObject, privateDecrypt } from 'crypto';
import type { WrappingAlgorithm, WrappingKeySpec } from './model';

export const WRAPPING_ALGORITHMS: readonly WrappingAlgorithm[] = [
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
];

export const WRAPPING_KEY_SPECS: readonly WrappingKeySpec[] = ['RSA_2048', 'RSA_3072', 'RSA_4096'];

/** RFC 5649 alternative initial value. */
export const AES_KWP_IV = Buffer.from('A65959A6', 'hex');

const MODULUS_BITS: Record<WrappingKeySpec, number> = {
  RSA_2048: 2048,
  RSA_3072: 3072,
  RSA_4096: 4096,
};

export interface WrappingKeyPair {
  readonly spec: WrappingKeySpec;
  readonly publicKeyDer: Buffer;
  readonly privateKey: KeyObject;
  readonly modulusBytes: number;
}

/** Generates a new RSA key pair of `spec` (RSA-4096 takes seconds; see wrapping-key-pool.ts). */
export function generateWrappingKeyPair(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
  const bits = MODULUS_BITS[spec];
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (err, _publicKey, privateKey) => {
      if (err) {
        reject(err);
        return;
      }
      resolve(wrappingKeyPairOf(spec, privateKey));
    });
  });
}

/** The wrapping key pair of an RSA private key of `spec`. */
export function wrappingKeyPairOf(spec: WrappingKeySpec, privateKey: KeyObject): WrappingKeyPair {
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits !== MODULUS_BITS[spec]) {
    throw new Error(`not an RSA key of ${MODULUS_BITS[spec]} bits`);
  }
  return {
    spec,
    publicKeyDer: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
    privateKey,
    modulusBytes: bits / 8,
  };
}

function oaepHash(algorithm: WrappingAlgorithm): 'sha1' | 'sha256' {
  return algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
}

function oaepDecrypt(privateKey: KeyObject, hash: 'sha1' | 'sha256', data: Buffer): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}

/**
 * Unwraps EncryptedKeyMaterial. Throws a plain Error when the blob cannot be unwrapped with
 * this private key and algorithm (the caller maps it to InvalidCiphertextException).
 */
export function unwrapKeyMaterial(
  privateKey: KeyObject,
  modulusBytes: number,
  algorithm: WrappingAlgorithm,
  wrapped: Buffer,
): Buffer {
  const hash = oaepHash(algorithm);
  if (algorithm === 'RSAES_OAEP_SHA_1' || algorithm === 'RSAES_OAEP_SHA_256') {
    if (wrapped.length !== modulusBytes) {
      throw new Error(`wrapped key material must be ${modulusBytes} bytes, got ${wrapped.length}`);
    }
    return oaepDecrypt(privateKey, hash, wrapped);
  }
  if (wrapped.length <= modulusBytes) {
    throw new Error('wrapped key material is too short for RSA_AES_KEY_WRAP');
  }
  const aesKey = oaepDecrypt(privateKey, hash, wrapped.subarray(0, modulusBytes));
  if (aesKey.length !== 32) {
    throw new Error(`ephemeral AES key must be 32 bytes, got ${aesKey.length}`);
  }
  const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, AES_KWP_IV);
  return Buffer.concat([decipher.update(wrapped.subarray(modulusBytes)), decipher.final()]);
}
