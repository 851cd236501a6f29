/**
 * Key material: 32 random bytes, wrapped to the public key KMS handed out.
 * The plaintext never leaves this module's callers' scope and is zeroed after use.
 */
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';

export const WRAPPING_ALGORITHMS = ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const;
export type WrappingAlgorithm = typeof WRAPPING_ALGORITHMS[number];
export const WRAPPING_KEY_SPECS = ['RSA_4096', 'RSA_3072', 'RSA_2048'] as const;
export type WrappingKeySpec = typeof WRAPPING_KEY_SPECS[number];

export const MATERIAL_BYTES = 32;
/** RFC 5649 AES key wrap with padding uses this alternative initial value. */
const KWP_IV = Buffer.from('A65959A6', 'hex');

export function generateMaterial(): Buffer {
  return randomBytes(MATERIAL_BYTES);
}

function oaep(publicKeyDer: Uint8Array, hash: 'sha256' | 'sha1', data: Buffer): Buffer {
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  // Node's oaepHash also sets MGF1 to the same hash, as KMS expects.
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}

/**
 * Wraps material for ImportKeyMaterial. For RSA_AES_KEY_WRAP_SHA_256 the result is
 * RSA-OAEP(ephemeral AES-256 key) || AES-KWP(ephemeral key, material); the
 * ephemeral key is zeroed before returning.
 */
export function wrapMaterial(publicKeyDer: Uint8Array, algorithm: WrappingAlgorithm, material: Buffer): Buffer {
  switch (algorithm) {
    case 'RSAES_OAEP_SHA_256':
      return oaep(publicKeyDer, 'sha256', material);
    case 'RSAES_OAEP_SHA_1':
      return oaep(publicKeyDer, 'sha1', material);
    case 'RSA_AES_KEY_WRAP_SHA_256': {
      const ephemeral = randomBytes(32);
      try {
        const cipher = createCipheriv('id-aes256-wrap-pad', ephemeral, KWP_IV);
        const wrapped = Buffer.concat([cipher.update(material), cipher.final()]);
        return Buffer.concat([oaep(publicKeyDer, 'sha256', ephemeral), wrapped]);
      } finally {
        ephemeral.fill(0);
      }
    }
  }
}

/** Runs `use` with fresh material and zeroes it afterwards, whatever happens. */
export async function withFreshMaterial<T>(use: (material: Buffer) => Promise<T>): Promise<T> {
  const material = generateMaterial();
  try {
    return await use(material);
  } finally {
    material.fill(0);
  }
}
