import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { generateMaterial, MATERIAL_BYTES, withFreshMaterial, wrapMaterial } from '../../lambda/rotation/material';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = publicKey.export({ format: 'der', type: 'spki' });

function unwrap(algorithm: string, blob: Buffer): Buffer {
  const oaep = (hash: string, data: Buffer) => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
  if (algorithm === 'RSAES_OAEP_SHA_256') return oaep('sha256', blob);
  if (algorithm === 'RSAES_OAEP_SHA_1') return oaep('sha1', blob);
  const aesKey = oaep('sha256', blob.subarray(0, 256));
  const d = createDecipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([d.update(blob.subarray(256)), d.final()]);
}

describe('material', () => {
  test('is 32 random bytes', () => {
    const a = generateMaterial();
    const b = generateMaterial();
    expect(a).toHaveLength(MATERIAL_BYTES);
    expect(a.equals(b)).toBe(false);
  });

  test.each(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const)('%s wraps so the private key recovers the material', (alg) => {
    const material = generateMaterial();
    const wrapped = wrapMaterial(der, alg, material);
    expect(wrapped.length).toBe(alg === 'RSA_AES_KEY_WRAP_SHA_256' ? 256 + 40 : 256);
    expect(unwrap(alg, wrapped).equals(material)).toBe(true);
    expect(wrapped.includes(material)).toBe(false);
  });

  test('withFreshMaterial zeroes the buffer afterwards, also when the use fails', async () => {
    let seen: Buffer | undefined;
    await withFreshMaterial(async (m) => { seen = m; expect(m.some((b) => b !== 0)).toBe(true); });
    expect(seen!.every((b) => b === 0)).toBe(true);
    await expect(withFreshMaterial(async (m) => { seen = m; throw new Error('boom'); })).rejects.toThrow('boom');
    expect(seen!.every((b) => b === 0)).toBe(true);
  });
});
