/**
 * Client side of key material import, for tests: wraps key material under the public key
 * returned by GetParametersForImport, the way a key owner does before ImportKeyMaterial.
 * Not used by production code.
 */
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'crypto';
import { AES_KWP_IV } from './wrapping';

/**
 * Wraps `material` for import.
 * @param publicKeyDer DER SubjectPublicKeyInfo (the `PublicKey` of GetParametersForImport)
 * @param algorithm RSAES_OAEP_SHA_1 | RSAES_OAEP_SHA_256 | RSA_AES_KEY_WRAP_SHA_1 | RSA_AES_KEY_WRAP_SHA_256
 */
export function wrapKeyMaterial(publicKeyDer: Uint8Array, algorithm: string, material: Uint8Array): Buffer {
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  const oaep = (hash: 'sha1' | 'sha256', data: Uint8Array): Buffer =>
    publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
  switch (algorithm) {
    case 'RSAES_OAEP_SHA_1':
      return oaep('sha1', material);
    case 'RSAES_OAEP_SHA_256':
      return oaep('sha256', material);
    case 'RSA_AES_KEY_WRAP_SHA_1':
    case 'RSA_AES_KEY_WRAP_SHA_256': {
      const aesKey = randomBytes(32);
      const wrappedAesKey = oaep(algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256', aesKey);
      const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, AES_KWP_IV);
      return Buffer.concat([wrappedAesKey, cipher.update(material), cipher.final()]);
    }
    default:
      throw new Error(`wrapKeyMaterial: unsupported wrapping algorithm ${algorithm}`);
  }
}
