import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GetParametersForImportCommand, ImportKeyMaterialCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { KmsSimulator, startKmsSimulator, wrapKeyMaterial } from './index';
import { createExternalKey, newMaterial, useSimulator } from './test-helpers';
import { generateWrappingKeyPair } from './wrapping';
import { cacheFilePath, loadCachedPairs, saveCachedPairs } from './wrapping-key-cache';
import { WrappingKeyPool } from './wrapping-key-pool';

const fixture = useSimulator();
let kms: KMSClient;
beforeAll(() => ({ kms } = fixture));

const params = (client: KMSClient, keyId: string) =>
  client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
const hex = (der: Uint8Array | undefined) => Buffer.from(der!).toString('hex');

let tempDirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-sim-wrapping-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  tempDirs = [];
});

test('each GetParametersForImport call gets its own key pair: material wrapped for one call does not import with the token of another', async () => {
  const keyId = await createExternalKey(kms);
  const first = await params(kms, keyId);
  const second = await params(kms, keyId);
  expect(hex(first.PublicKey)).not.toBe(hex(second.PublicKey));
  const material = newMaterial();
  const importWith = (token: Uint8Array | undefined) => kms.send(new ImportKeyMaterialCommand({
    KeyId: keyId,
    ImportToken: token,
    EncryptedKeyMaterial: wrapKeyMaterial(first.PublicKey!, 'RSAES_OAEP_SHA_256', material),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  }));
  await expect(importWith(second.ImportToken)).rejects.toThrow(InvalidCiphertextException);
  await expect(importWith(first.ImportToken)).resolves.toMatchObject({ KeyMaterialId: expect.any(String) });
});

test('pairs come round-robin from the pool; a key never gets a pair twice, even beyond the pool size', async () => {
  const sim: KmsSimulator = await startKmsSimulator({ wrappingKeyPoolSize: 2, wrappingKeyCacheDir: tempDir() });
  try {
    const client = sim.client({ maxAttempts: 1 });
    const a = await createExternalKey(client);
    const b = await createExternalKey(client);
    const forA = [await params(client, a), await params(client, a), await params(client, a)].map((p) => hex(p.PublicKey));
    expect(new Set(forA).size).toBe(3);
    const forB = [await params(client, b), await params(client, b)].map((p) => hex(p.PublicKey));
    expect(new Set(forB).size).toBe(2);
    // B's pairs are the two pool pairs A got first.
    expect(new Set([...forB, forA[0], forA[1]]).size).toBe(2);
  } finally {
    await sim.stop();
  }
});

test('the pool is persisted in the cache directory and loaded from there', async () => {
  const dir = tempDir();
  const sim = await startKmsSimulator({ wrappingKeyPoolSize: 2, wrappingKeyCacheDir: dir });
  try {
    const client = sim.client({ maxAttempts: 1 });
    const served = hex((await params(client, await createExternalKey(client))).PublicKey);
    let cached = loadCachedPairs(dir, 'RSA_2048');
    for (let i = 0; i < 100 && cached.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      cached = loadCachedPairs(dir, 'RSA_2048');
    }
    expect(cached).toHaveLength(2);
    expect(cached.map((p) => p.publicKeyDer.toString('hex'))).toContain(served);
    expect(readdirSync(dir)).toEqual(['wrapping-keys-RSA_2048.json']);
    // A pool of a later process starts from the file.
    const later = new WrappingKeyPool('RSA_2048', dir);
    later.ensure(2);
    expect((await Promise.all([later.get(0), later.get(1)])).map((p) => p.publicKeyDer.toString('hex')))
      .toEqual(cached.map((p) => p.publicKeyDer.toString('hex')));
  } finally {
    await sim.stop();
  }
});

test('cache files: round trip, a later write replaces the file whole, unusable files are ignored', async () => {
  const dir = tempDir();
  const pairs = await Promise.all([generateWrappingKeyPair('RSA_2048'), generateWrappingKeyPair('RSA_2048')]);
  saveCachedPairs(dir, 'RSA_2048', pairs);
  saveCachedPairs(dir, 'RSA_2048', pairs.slice(0, 1));
  expect(loadCachedPairs(dir, 'RSA_2048').map((p) => p.publicKeyDer)).toEqual([pairs[0].publicKeyDer]);
  expect(readdirSync(dir)).toEqual(['wrapping-keys-RSA_2048.json']);
  expect(loadCachedPairs(dir, 'RSA_3072')).toEqual([]);
  writeFileSync(cacheFilePath(dir, 'RSA_4096'), '{"format": 1, "spec": "RSA_4096", "privateKeys": ["not a key"]}');
  expect(loadCachedPairs(dir, 'RSA_4096')).toEqual([]);
  // A file holding keys of another size is refused.
  writeFileSync(cacheFilePath(dir, 'RSA_3072'), JSON.stringify({
    format: 1,
    spec: 'RSA_3072',
    privateKeys: [pairs[0].privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
  }));
  expect(loadCachedPairs(dir, 'RSA_3072')).toEqual([]);
});

test('wrappingKeyPoolSize must be a positive integer', async () => {
  await expect(startKmsSimulator({ wrappingKeyPoolSize: 0 })).rejects.toThrow('wrappingKeyPoolSize');
});
