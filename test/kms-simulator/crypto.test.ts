import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisabledException,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KMSClient,
  KMSInvalidStateException,
  NotFoundException,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { KmsSimulator, startKmsSimulator } from './index';
import { createExternalKey, importMaterial, newMaterial } from './test-helpers';

let sim: KmsSimulator;
let kms: KMSClient;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  sim = await startKmsSimulator();
  kms = sim.client({ maxAttempts: 1 });
  keyA = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  keyB = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/key-a', TargetKeyId: keyA }));
});

afterAll(async () => {
  await sim.stop();
});

const arnOf = (id: string): string => `arn:aws:kms:us-east-1:111122223333:key/${id}`;

async function encrypt(keyId: string, text: string, context?: Record<string, string>): Promise<Uint8Array> {
  return (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text), EncryptionContext: context }))).CiphertextBlob!;
}

describe('Encrypt / Decrypt', () => {
  test('round trip; Decrypt finds the key from the ciphertext and returns its ARN', async () => {
    const enc = await kms.send(new EncryptCommand({ KeyId: keyA, Plaintext: Buffer.from('hello') }));
    expect(enc).toMatchObject({ KeyId: arnOf(keyA), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(Buffer.from(enc.CiphertextBlob!).includes(Buffer.from('hello'))).toBe(false);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('hello');
    expect(dec).toMatchObject({ KeyId: arnOf(keyA), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(dec.KeyMaterialId).toBe(sim.state.key(keyA)?.currentKeyMaterialId);
  });

  test('encrypting twice gives different ciphertexts', async () => {
    const a = Buffer.from(await encrypt(keyA, 'same'));
    const b = Buffer.from(await encrypt(keyA, 'same'));
    expect(a.equals(b)).toBe(false);
  });

  test('Encrypt and Decrypt accept key ARN, alias name and alias ARN', async () => {
    for (const id of [arnOf(keyA), 'alias/key-a', 'arn:aws:kms:us-east-1:111122223333:alias/key-a']) {
      const blob = await encrypt(id, 'x');
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: id }));
      expect(dec.KeyId).toBe(arnOf(keyA));
    }
  });

  test('ciphertext of key A does not decrypt under key B (IncorrectKeyException)', async () => {
    const blob = await encrypt(keyA, 'for A');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: keyB }))).rejects.toThrow(IncorrectKeyException);
  });

  test('ciphertext relabelled with key B id does not decrypt (InvalidCiphertextException)', async () => {
    const blob = Buffer.from(await encrypt(keyA, 'for A'));
    blob.write(keyB, 1, 'ascii');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(InvalidCiphertextException);
  });

  test('encryption context must match exactly (order-insensitive)', async () => {
    const blob = await encrypt(keyA, 'ctx', { purpose: 'test', tenant: 't1' });
    const ok = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: 't1', purpose: 'test' } }));
    expect(Buffer.from(ok.Plaintext!).toString()).toBe('ctx');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(InvalidCiphertextException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: 'test', tenant: 't2' } })))
      .rejects.toThrow(InvalidCiphertextException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: 'test', tenant: 't1', extra: 'x' } })))
      .rejects.toThrow(InvalidCiphertextException);
    const noContext = await encrypt(keyA, 'none');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: noContext, EncryptionContext: { a: 'b' } }))).rejects.toThrow(InvalidCiphertextException);
  });

  test('tampered or garbage ciphertext -> InvalidCiphertextException', async () => {
    const blob = Buffer.from(await encrypt(keyA, 'tamper'));
    blob[blob.length - 1] = (blob[blob.length - 1] + 1) % 256;
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(InvalidCiphertextException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from('not a kms ciphertext at all, definitely not one') })))
      .rejects.toThrow(InvalidCiphertextException);
  });

  test('Plaintext must be 1..4096 bytes', async () => {
    const max = await encrypt(keyA, 'p'.repeat(4096));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: max }))).Plaintext!)).toHaveLength(4096);
    await expect(encrypt(keyA, 'p'.repeat(4097))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new EncryptCommand({ KeyId: keyA, Plaintext: new Uint8Array(0) }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('asymmetric encryption algorithm on a symmetric key -> InvalidKeyUsageException', async () => {
    await expect(kms.send(new EncryptCommand({ KeyId: keyA, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })))
      .rejects.toThrow(InvalidKeyUsageException);
  });

  test('unknown key -> NotFoundException', async () => {
    await expect(encrypt('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'x')).rejects.toThrow(NotFoundException);
  });
});

describe('key state gating of cryptographic operations', () => {
  test('Disabled key -> DisabledException; re-enabled key works again', async () => {
    const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const blob = await encrypt(id, 'before');
    await kms.send(new DisableKeyCommand({ KeyId: id }));
    await expect(encrypt(id, 'x')).rejects.toThrow(DisabledException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(DisabledException);
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256' }))).rejects.toThrow(DisabledException);
    await kms.send(new EnableKeyCommand({ KeyId: id }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString()).toBe('before');
  });

  test('PendingImport key -> KMSInvalidStateException', async () => {
    const id = await createExternalKey(kms);
    await expect(encrypt(id, 'x')).rejects.toThrow(KMSInvalidStateException);
    await expect(kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: id, NumberOfBytes: 32 }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('PendingDeletion key -> KMSInvalidStateException for Encrypt and Decrypt', async () => {
    const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const blob = await encrypt(id, 'x');
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    await expect(encrypt(id, 'x')).rejects.toThrow(KMSInvalidStateException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('imported key material encrypts and decrypts', async () => {
    const id = await createExternalKey(kms);
    await importMaterial(kms, id, newMaterial(), sim.clock.now());
    const blob = await encrypt(id, 'imported');
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString()).toBe('imported');
  });
});

describe('GenerateDataKey / GenerateDataKeyWithoutPlaintext', () => {
  test.each([
    [{ KeySpec: 'AES_256' as const }, 32],
    [{ KeySpec: 'AES_128' as const }, 16],
    [{ NumberOfBytes: 64 }, 64],
    [{ NumberOfBytes: 1 }, 1],
  ])('%o returns a %i-byte data key whose ciphertext decrypts to it', async (spec, size) => {
    const out = await kms.send(new GenerateDataKeyCommand({ KeyId: keyA, EncryptionContext: { use: 'dk' }, ...spec }));
    expect(out.Plaintext).toHaveLength(size);
    expect(out.KeyId).toBe(arnOf(keyA));
    expect(out.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { use: 'dk' } }));
    expect(Buffer.from(dec.Plaintext!).equals(Buffer.from(out.Plaintext!))).toBe(true);
  });

  test('KeySpec and NumberOfBytes: exactly one is required; NumberOfBytes 1..1024', async () => {
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyA }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyA, KeySpec: 'AES_256', NumberOfBytes: 32 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyA, NumberOfBytes: 1025 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('WithoutPlaintext returns no plaintext but a decryptable ciphertext', async () => {
    const out = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: 'alias/key-a', KeySpec: 'AES_256' }));
    expect(out).not.toHaveProperty('Plaintext');
    expect(out.KeyId).toBe(arnOf(keyA));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob }));
    expect(dec.Plaintext).toHaveLength(32);
  });
});

describe('ReEncrypt', () => {
  test('moves a ciphertext from key A to key B with a new context', async () => {
    const blob = await encrypt(keyA, 'moving', { from: 'a' });
    const out = await kms.send(new ReEncryptCommand({
      CiphertextBlob: blob,
      SourceEncryptionContext: { from: 'a' },
      DestinationKeyId: keyB,
      DestinationEncryptionContext: { to: 'b' },
    }));
    expect(out).toMatchObject({
      SourceKeyId: arnOf(keyA),
      KeyId: arnOf(keyB),
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      SourceKeyMaterialId: sim.state.key(keyA)?.currentKeyMaterialId,
      DestinationKeyMaterialId: sim.state.key(keyB)?.currentKeyMaterialId,
    });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { to: 'b' } }));
    expect(dec.KeyId).toBe(arnOf(keyB));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('moving');
  });

  test('wrong SourceKeyId -> IncorrectKeyException; wrong source context -> InvalidCiphertextException', async () => {
    const blob = await encrypt(keyA, 'moving', { from: 'a' });
    await expect(kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceKeyId: keyB, SourceEncryptionContext: { from: 'a' }, DestinationKeyId: keyB })))
      .rejects.toThrow(IncorrectKeyException);
    await expect(kms.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: keyB }))).rejects.toThrow(InvalidCiphertextException);
  });

  test('disabled destination -> DisabledException', async () => {
    const dest = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new DisableKeyCommand({ KeyId: dest }));
    await expect(kms.send(new ReEncryptCommand({ CiphertextBlob: await encrypt(keyA, 'x'), DestinationKeyId: dest }))).rejects.toThrow(DisabledException);
  });
});
