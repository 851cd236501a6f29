import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ExpiredImportTokenException,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  IncorrectKeyMaterialException,
  InvalidCiphertextException,
  InvalidImportTokenException,
  KMSClient,
  KMSInvalidStateException,
  ListKeyRotationsCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import { MS_PER_DAY, MS_PER_HOUR } from './clock';
import { KmsSimulator, startKmsSimulator, wrapKeyMaterial } from './index';
import { createExternalKey, importMaterial, newMaterial, useSimulator } from './test-helpers';

const fixture = useSimulator();
let sim: KmsSimulator;
let kms: KMSClient;
beforeAll(() => ({ sim, kms } = fixture));

const daysFromNow = (n: number): Date => new Date(sim.clock.now().getTime() + n * MS_PER_DAY);

async function params(keyId: string, algorithm = 'RSAES_OAEP_SHA_256', spec = 'RSA_2048') {
  return kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm as never, WrappingKeySpec: spec as never }));
}

async function encryptDecryptRoundTrip(keyId: string): Promise<void> {
  const plaintext = Buffer.from(`hello ${keyId}`);
  const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
  expect(Buffer.from(dec.Plaintext!)).toEqual(plaintext);
}

describe('GetParametersForImport', () => {
  test.each([
    ['RSA_2048', 2048],
    ['RSA_3072', 3072],
    ['RSA_4096', 4096],
  ])('%s public key is a DER SPKI RSA key of %i bits; token valid for 24h', async (spec, bits) => {
    const keyId = await createExternalKey(kms);
    const out = await params(keyId, 'RSAES_OAEP_SHA_256', spec);
    const pub = createPublicKey({ key: Buffer.from(out.PublicKey!), format: 'der', type: 'spki' });
    expect(pub.asymmetricKeyType).toBe('rsa');
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(bits);
    expect(pub.asymmetricKeyDetails?.publicExponent).toBe(65537n);
    expect(out.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    expect(out.ImportToken!.length).toBeGreaterThan(16);
    expect(out.ParametersValidTo!.getTime()).toBe(sim.clock.now().getTime() + 24 * MS_PER_HOUR);
  });

  test('each call returns a fresh import token', async () => {
    const keyId = await createExternalKey(kms);
    const a = await params(keyId);
    const b = await params(keyId);
    expect(Buffer.from(a.ImportToken!).equals(Buffer.from(b.ImportToken!))).toBe(false);
  });

  test('RSAES_PKCS1_V1_5 is refused with ValidationException', async () => {
    const keyId = await createExternalKey(kms);
    await expect(params(keyId, 'RSAES_PKCS1_V1_5')).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('SM2 wrapping key spec is refused with ValidationException', async () => {
    const keyId = await createExternalKey(kms);
    await expect(params(keyId, 'RSAES_OAEP_SHA_256', 'SM2')).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('AWS_KMS key -> UnsupportedOperationException', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await expect(params(keyId)).rejects.toThrow(UnsupportedOperationException);
  });

  test('key pending deletion -> KMSInvalidStateException', async () => {
    const keyId = await createExternalKey(kms);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await expect(params(keyId)).rejects.toThrow(KMSInvalidStateException);
  });

  test('alias is refused (key id or key ARN only); unknown key -> NotFoundException', async () => {
    const keyId = await createExternalKey(kms);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/import-target', TargetKeyId: keyId }));
    await expect(params('alias/import-target')).rejects.toThrow(NotFoundException);
    await expect(params('11111111-2222-4333-8444-555555555555')).rejects.toThrow(NotFoundException);
  });

  test('missing WrappingKeySpec -> ValidationException', async () => {
    const keyId = await createExternalKey(kms);
    await expect(
      kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256' } as never)),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('without rsaKeyCache every call generates a new wrapping key pair', async () => {
    const local = await startKmsSimulator({ rsaKeyCache: false });
    try {
      const client = local.client({ maxAttempts: 1 });
      const keyId = (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!;
      const a = await client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
      const b = await client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
      expect(Buffer.from(a.PublicKey!).equals(Buffer.from(b.PublicKey!))).toBe(false);
      // Material wrapped under the public key of call A is refused with the token of call B.
      await expect(client.send(new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: b.ImportToken,
        EncryptedKeyMaterial: wrapKeyMaterial(a.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }))).rejects.toThrow(InvalidCiphertextException);
    } finally {
      await local.stop();
    }
  });
});

describe('ImportKeyMaterial', () => {
  test.each(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const)(
    '%s round-trips: key becomes Enabled and encrypts/decrypts',
    async (algorithm) => {
      const keyId = await createExternalKey(kms);
      const material = newMaterial();
      const validTo = daysFromNow(30);
      const out = await importMaterial(kms, keyId, material, sim.clock.now(), { algorithm, validTo });
      expect(out.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
      expect(out.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
      expect(md).toMatchObject({
        KeyState: 'Enabled',
        Enabled: true,
        ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: validTo,
        CurrentKeyMaterialId: out.KeyMaterialId,
      });
      await encryptDecryptRoundTrip(keyId);
    },
  );

  test('RSA_3072 and RSA_4096 wrapping keys round-trip', async () => {
    for (const spec of ['RSA_3072', 'RSA_4096'] as const) {
      for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_256'] as const) {
        const keyId = await createExternalKey(kms);
        await importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { spec, algorithm });
        await encryptDecryptRoundTrip(keyId);
      }
    }
  });

  test('KEY_MATERIAL_DOES_NOT_EXPIRE: no ValidTo in metadata', async () => {
    const keyId = await createExternalKey(kms);
    await importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(md.ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');
    expect(md.ValidTo).toBeUndefined();
    sim.clock.advanceDays(400);
    expect(sim.state.key(keyId)).toMatchObject({ state: 'Enabled', hasMaterial: true });
  });

  test('material wrapped under a different public key -> InvalidCiphertextException', async () => {
    const keyId = await createExternalKey(kms);
    const p = await params(keyId);
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(foreign, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(InvalidCiphertextException);
    expect(sim.state.key(keyId)?.state).toBe('PendingImport');
  });

  test('material wrapped with another algorithm than the token was issued for -> InvalidCiphertextException', async () => {
    const keyId = await createExternalKey(kms);
    const p = await params(keyId, 'RSAES_OAEP_SHA_256');
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p.PublicKey!, 'RSAES_OAEP_SHA_1', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(InvalidCiphertextException);
  });

  test('token issued for another key -> InvalidImportTokenException; random token too', async () => {
    const keyA = await createExternalKey(kms);
    const keyB = await createExternalKey(kms);
    const pA = await params(keyA);
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyB,
      ImportToken: pA.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(pA.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(InvalidImportTokenException);
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyA,
      ImportToken: randomBytes(64),
      EncryptedKeyMaterial: wrapKeyMaterial(pA.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(InvalidImportTokenException);
  });

  test('token older than 24h -> ExpiredImportTokenException (still valid at exactly 24h)', async () => {
    const keyId = await createExternalKey(kms);
    const p1 = await params(keyId);
    const p2 = await params(keyId);
    sim.clock.advance(24 * MS_PER_HOUR);
    await kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p1.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p1.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }));
    sim.clock.advance(1000);
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p2.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p2.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(ExpiredImportTokenException);
  });

  test('ValidTo rules: required, future, at most 365 days; absent with DOES_NOT_EXPIRE', async () => {
    const keyId = await createExternalKey(kms);
    const now = sim.clock.now();
    const attempt = (validTo: Date | undefined, model: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE') =>
      importMaterial(kms, keyId, newMaterial(), now, { validTo, expirationModel: model });
    await expect(attempt(new Date(now.getTime() + 365 * MS_PER_DAY + 1000), 'KEY_MATERIAL_EXPIRES')).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(attempt(new Date(now.getTime() - 1000), 'KEY_MATERIAL_EXPIRES')).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: (await params(keyId)).ImportToken,
      EncryptedKeyMaterial: Buffer.alloc(256, 1),
    }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('ValidTo') });
    const p = await params(keyId);
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ValidTo: daysFromNow(10),
    }))).rejects.toMatchObject({ name: 'ValidationException' });
    expect(sim.state.key(keyId)?.state).toBe('PendingImport');
    const ok = await attempt(new Date(now.getTime() + 365 * MS_PER_DAY), 'KEY_MATERIAL_EXPIRES');
    expect(ok.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
  });

  test('material that is not 32 bytes -> IncorrectKeyMaterialException', async () => {
    const keyId = await createExternalKey(kms);
    await expect(importMaterial(kms, keyId, randomBytes(16), sim.clock.now())).rejects.toThrow(IncorrectKeyMaterialException);
    await expect(importMaterial(kms, keyId, randomBytes(33), sim.clock.now(), { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }))
      .rejects.toThrow(IncorrectKeyMaterialException);
  });

  test('AWS_KMS key -> UnsupportedOperationException; pending deletion -> KMSInvalidStateException', async () => {
    const awsKey = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: awsKey, ImportToken: randomBytes(64), EncryptedKeyMaterial: randomBytes(256), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(UnsupportedOperationException);
    const keyId = await createExternalKey(kms);
    const p = await params(keyId);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('alias as KeyId -> NotFoundException', async () => {
    const keyId = await createExternalKey(kms);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/import-by-alias', TargetKeyId: keyId }));
    const p = await params(keyId);
    await expect(kms.send(new ImportKeyMaterialCommand({
      KeyId: 'alias/import-by-alias',
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p.PublicKey!, 'RSAES_OAEP_SHA_256', newMaterial()),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }))).rejects.toThrow(NotFoundException);
  });

  test('KeyMaterialId is sha256(keyId || material) and stable across re-imports', async () => {
    const keyId = await createExternalKey(kms);
    const material = newMaterial();
    const first = await importMaterial(kms, keyId, material, sim.clock.now());
    const expected = createHash('sha256').update(keyId).update(material).digest('hex');
    expect(first.KeyMaterialId).toBe(expected);
    const again = await importMaterial(kms, keyId, material, sim.clock.now(), { keyMaterialId: expected, validTo: daysFromNow(60) });
    expect(again.KeyMaterialId).toBe(expected);
    expect(sim.state.key(keyId)?.validTo).toEqual(daysFromNow(60));
    await expect(importMaterial(kms, keyId, material, sim.clock.now(), { keyMaterialId: 'f'.repeat(64) })).rejects.toThrow(IncorrectKeyMaterialException);
    await expect(importMaterial(kms, keyId, material, sim.clock.now(), { keyMaterialId: expected, importType: 'NEW_KEY_MATERIAL' }))
      .rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('EXISTING_KEY_MATERIAL on a key that never had material -> IncorrectKeyMaterialException', async () => {
    const keyId = await createExternalKey(kms);
    await expect(importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { importType: 'EXISTING_KEY_MATERIAL' }))
      .rejects.toThrow(IncorrectKeyMaterialException);
  });

  test('NEW_KEY_MATERIAL with material already associated -> IncorrectKeyMaterialException', async () => {
    const keyId = await createExternalKey(kms);
    const material = newMaterial();
    await importMaterial(kms, keyId, material, sim.clock.now());
    await expect(importMaterial(kms, keyId, material, sim.clock.now(), { importType: 'NEW_KEY_MATERIAL' }))
      .rejects.toThrow(IncorrectKeyMaterialException);
  });

  test('NEW_KEY_MATERIAL on a key with material is PENDING_ROTATION and not used until rotation', async () => {
    const keyId = await createExternalKey(kms);
    const first = await importMaterial(kms, keyId, newMaterial(), sim.clock.now());
    const second = await importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { importType: 'NEW_KEY_MATERIAL' });
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(md.CurrentKeyMaterialId).toBe(first.KeyMaterialId);
    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(rotations.Rotations!.map((r) => [r.KeyMaterialId, r.KeyMaterialState])).toEqual([
      [first.KeyMaterialId, 'CURRENT'],
      [second.KeyMaterialId, 'PENDING_ROTATION'],
    ]);
    // A second pending material is refused until the first is rotated in or deleted.
    await expect(importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { importType: 'NEW_KEY_MATERIAL' }))
      .rejects.toThrow(KMSInvalidStateException);
  });
});

describe('expiry, deletion and re-import of key material', () => {
  test('expired material -> PendingImport; same material restores old ciphertexts, other material refused', async () => {
    const keyId = await createExternalKey(kms);
    const material = newMaterial();
    const validTo = daysFromNow(10);
    await importMaterial(kms, keyId, material, sim.clock.now(), { validTo });
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('secret'), EncryptionContext: { a: '1' } }));

    sim.clock.advance(10 * MS_PER_DAY - 1);
    expect(sim.state.key(keyId)?.state).toBe('Enabled');
    sim.clock.advance(1);
    expect(sim.state.key(keyId)).toMatchObject({ state: 'PendingImport', hasMaterial: false });
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    expect(md.ValidTo).toBeUndefined();
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: '1' } })))
      .rejects.toThrow(KMSInvalidStateException);

    await expect(importMaterial(kms, keyId, newMaterial(), sim.clock.now())).rejects.toThrow(IncorrectKeyMaterialException);
    await importMaterial(kms, keyId, material, sim.clock.now(), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: '1' } }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('secret');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });
  });

  test('expiry is applied lazily when a request arrives', async () => {
    const keyId = await createExternalKey(kms);
    await importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { validTo: daysFromNow(1) });
    sim.clock.advanceDays(2);
    await expect(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('DeleteImportedKeyMaterial -> PendingImport; re-import of the same material restores the key', async () => {
    const keyId = await createExternalKey(kms);
    const material = newMaterial();
    const imported = await importMaterial(kms, keyId, material, sim.clock.now());
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('p') }));
    const del = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect(del).toMatchObject({ KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, KeyMaterialId: imported.KeyMaterialId });
    expect(sim.state.key(keyId)).toMatchObject({ state: 'PendingImport', hasMaterial: false });
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toThrow(KMSInvalidStateException);
    await importMaterial(kms, keyId, material, sim.clock.now());
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext!).toString()).toBe('p');
  });

  test('DeleteImportedKeyMaterial on a key pending deletion keeps PendingDeletion', async () => {
    const keyId = await createExternalKey(kms);
    await importMaterial(kms, keyId, newMaterial(), sim.clock.now());
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    expect(sim.state.key(keyId)).toMatchObject({ state: 'PendingDeletion', hasMaterial: false });
  });

  test('DeleteImportedKeyMaterial: AWS_KMS key refused, unknown KeyMaterialId -> NotFoundException', async () => {
    const awsKey = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await expect(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: awsKey }))).rejects.toThrow(UnsupportedOperationException);
    const keyId = await createExternalKey(kms);
    await importMaterial(kms, keyId, newMaterial(), sim.clock.now());
    await expect(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: 'a'.repeat(64) }))).rejects.toThrow(NotFoundException);
  });

  test('deleting PENDING_ROTATION material removes it and allows importing different new material', async () => {
    const keyId = await createExternalKey(kms);
    await importMaterial(kms, keyId, newMaterial(), sim.clock.now());
    const pending = await importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { importType: 'NEW_KEY_MATERIAL' });
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: pending.KeyMaterialId }));
    expect(sim.state.key(keyId)?.materials.map((m) => m.state)).toEqual(['CURRENT']);
    expect(sim.state.key(keyId)?.state).toBe('Enabled');
    await importMaterial(kms, keyId, newMaterial(), sim.clock.now(), { importType: 'NEW_KEY_MATERIAL' });
    expect(sim.state.key(keyId)?.materials.map((m) => m.state)).toEqual(['CURRENT', 'PENDING_ROTATION']);
  });
});
