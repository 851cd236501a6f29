import { createHmac } from 'crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  GetKeyLastUsageCommand,
  KMSClient,
  MacAlgorithmSpec,
  PutKeyPolicyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
  UpdateAliasCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { ACCOUNT, adminKey, failure, principal } from './authorization-helpers';
import { KmsSimulator, startKmsSimulator, SYMMETRIC_CRYPTOGRAPHIC_QUOTA } from './index';
import { createKey, useSimulator } from './test-helpers';

const message = Buffer.from('ledger head: generation 3, event 41');
const SPECS = [
  ['HMAC_224', 'HMAC_SHA_224', 28],
  ['HMAC_256', 'HMAC_SHA_256', 32],
  ['HMAC_384', 'HMAC_SHA_384', 48],
  ['HMAC_512', 'HMAC_SHA_512', 64],
] as const;

async function hmacKey(kms: KMSClient, spec: (typeof SPECS)[number][0] = 'HMAC_256', policy?: string): Promise<{ id: string; arn: string }> {
  const md = (await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC', Policy: policy }))).KeyMetadata!;
  return { id: md.KeyId!, arn: md.Arn! };
}

const generate = (kms: KMSClient, keyId: string, algorithm: MacAlgorithmSpec = 'HMAC_SHA_256', msg = message) =>
  kms.send(new GenerateMacCommand({ KeyId: keyId, Message: msg, MacAlgorithm: algorithm }));
const verify = (kms: KMSClient, keyId: string, mac: Uint8Array, algorithm: MacAlgorithmSpec = 'HMAC_SHA_256', msg = message) =>
  kms.send(new VerifyMacCommand({ KeyId: keyId, Message: msg, Mac: mac, MacAlgorithm: algorithm }));

describe('HMAC keys and their operations', () => {
  const f = useSimulator();

  test('CreateKey and DescribeKey report KeySpec, KeyUsage and MacAlgorithms', async () => {
    const key = await hmacKey(f.kms, 'HMAC_384');
    const md = (await f.kms.send(new DescribeKeyCommand({ KeyId: key.id }))).KeyMetadata!;
    expect(md).toMatchObject({ KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC', MacAlgorithms: ['HMAC_SHA_384'], Origin: 'AWS_KMS', KeyState: 'Enabled' });
    expect(md.EncryptionAlgorithms).toBeUndefined();
    expect(f.sim.state.key(key.id)).toMatchObject({ keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC', hasMaterial: true });
  });

  test('CreateKey: an HMAC spec needs GENERATE_VERIFY_MAC, which needs an HMAC spec; imported HMAC material is not simulated', async () => {
    await expect(f.kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(f.kms.send(new CreateKeyCommand({ KeyUsage: 'GENERATE_VERIFY_MAC' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(f.kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Origin: 'EXTERNAL' })))
      .rejects.toMatchObject({ name: 'UnsupportedOperationException' });
  });

  test.each(SPECS)('%s: GenerateMac answers the RFC 2104 HMAC (%s, %i bytes), VerifyMac accepts it', async (spec, algorithm, length) => {
    const key = await hmacKey(f.kms, spec);
    const out = await generate(f.kms, key.id, algorithm);
    expect(out).toMatchObject({ KeyId: key.arn, MacAlgorithm: algorithm });
    expect(out.Mac).toHaveLength(length);
    // The same message gives the same MAC, another message another one.
    expect(Buffer.from((await generate(f.kms, key.id, algorithm)).Mac!)).toEqual(Buffer.from(out.Mac!));
    expect(Buffer.from((await generate(f.kms, key.id, algorithm, Buffer.from('other'))).Mac!)).not.toEqual(Buffer.from(out.Mac!));
    // Independent HMAC computation with the key's secret material (read from the simulator's state).
    const material = f.sim.state.currentMaterial(key.id)!;
    expect(material).toHaveLength(length);
    const digest = algorithm.replace('HMAC_SHA_', 'sha');
    expect(Buffer.from(out.Mac!)).toEqual(createHmac(digest, material).update(message).digest());
    expect(await verify(f.kms, key.id, out.Mac!, algorithm)).toMatchObject({ KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm });
  });

  test('a flipped bit, another message, a truncated MAC or another key: KMSInvalidMacException', async () => {
    const key = await hmacKey(f.kms);
    const other = await hmacKey(f.kms);
    const mac = Buffer.from((await generate(f.kms, key.id)).Mac!);
    const flipped = Buffer.from(mac);
    flipped[7] += flipped[7] % 2 === 0 ? 1 : -1; // flips the lowest bit
    for (const attempt of [
      verify(f.kms, key.id, flipped),
      verify(f.kms, key.id, mac, 'HMAC_SHA_256', Buffer.from('ledger head: generation 3, event 42')),
      verify(f.kms, key.id, mac.subarray(0, 16)),
      verify(f.kms, other.id, mac),
    ]) {
      const err = await failure(attempt);
      expect(err.name).toBe('KMSInvalidMacException');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
  });

  test('a MAC algorithm other than the key spec\'s, or a key of another usage: InvalidKeyUsageException', async () => {
    const key = await hmacKey(f.kms, 'HMAC_256');
    const mac = (await generate(f.kms, key.id)).Mac!;
    expect((await failure(generate(f.kms, key.id, 'HMAC_SHA_512'))).name).toBe('InvalidKeyUsageException');
    expect((await failure(verify(f.kms, key.id, mac, 'HMAC_SHA_384'))).name).toBe('InvalidKeyUsageException');
    const symmetric = await createKey(f.kms);
    expect((await failure(generate(f.kms, symmetric))).name).toBe('InvalidKeyUsageException');
    expect((await failure(verify(f.kms, symmetric, mac))).name).toBe('InvalidKeyUsageException');
  });

  test('Encrypt, GenerateDataKey and Decrypt with an HMAC key: InvalidKeyUsageException; no on-demand rotation', async () => {
    const key = await hmacKey(f.kms);
    const symmetric = await createKey(f.kms);
    const { CiphertextBlob } = await f.kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: Buffer.from('x') }));
    for (const attempt of [
      f.kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') })),
      f.kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256' })),
      f.kms.send(new DecryptCommand({ KeyId: key.id, CiphertextBlob })),
    ]) {
      expect((await failure(attempt)).name).toBe('InvalidKeyUsageException');
    }
    expect((await failure(f.kms.send(new RotateKeyOnDemandCommand({ KeyId: key.id })))).name).toBe('UnsupportedOperationException');
  });

  test('key states: disabled -> DisabledException, pending deletion -> KMSInvalidStateException, unknown -> NotFoundException', async () => {
    const key = await hmacKey(f.kms);
    const mac = (await generate(f.kms, key.id)).Mac!;
    await f.kms.send(new DisableKeyCommand({ KeyId: key.id }));
    expect((await failure(generate(f.kms, key.id))).name).toBe('DisabledException');
    expect((await failure(verify(f.kms, key.id, mac))).name).toBe('DisabledException');
    await f.kms.send(new EnableKeyCommand({ KeyId: key.id }));
    await f.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 7 }));
    expect((await failure(generate(f.kms, key.id))).name).toBe('KMSInvalidStateException');
    expect((await failure(verify(f.kms, key.id, mac))).name).toBe('KMSInvalidStateException');
    await f.kms.send(new CancelKeyDeletionCommand({ KeyId: key.id }));
    await f.kms.send(new EnableKeyCommand({ KeyId: key.id }));
    await expect(verify(f.kms, key.id, mac)).resolves.toMatchObject({ MacValid: true });
    expect((await failure(generate(f.kms, '00000000-0000-0000-0000-000000000000'))).name).toBe('NotFoundException');
    expect((await failure(generate(f.kms, 'alias/no-such-alias'))).name).toBe('NotFoundException');
  });

  test('aliases and key ARNs resolve; the answer names the key ARN', async () => {
    const key = await hmacKey(f.kms);
    await f.kms.send(new CreateAliasCommand({ AliasName: 'alias/ledger-seal', TargetKeyId: key.id }));
    const viaAlias = await generate(f.kms, 'alias/ledger-seal');
    expect(viaAlias.KeyId).toBe(key.arn);
    await expect(verify(f.kms, key.arn, viaAlias.Mac!)).resolves.toMatchObject({ KeyId: key.arn, MacValid: true });
    await expect(verify(f.kms, `arn:aws:kms:us-east-1:${ACCOUNT}:alias/ledger-seal`, viaAlias.Mac!)).resolves.toMatchObject({ MacValid: true });
  });

  test('parameters: Message of 1..4096 bytes, a known MacAlgorithm, at most 10 grant tokens; DryRun', async () => {
    const key = await hmacKey(f.kms);
    await expect(generate(f.kms, key.id, 'HMAC_SHA_256', Buffer.alloc(4096, 1))).resolves.toBeDefined();
    expect((await failure(generate(f.kms, key.id, 'HMAC_SHA_256', Buffer.alloc(4097, 1)))).name).toBe('ValidationException');
    expect((await failure(generate(f.kms, key.id, 'HMAC_SHA_256', Buffer.alloc(0)))).name).toBe('ValidationException');
    expect((await failure(generate(f.kms, key.id, 'HMAC_SHA_1' as MacAlgorithmSpec))).name).toBe('ValidationException');
    await expect(f.kms.send(new GenerateMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: 'HMAC_SHA_256', GrantTokens: ['t'] }))).resolves.toBeDefined();
    const tooMany = Array.from({ length: 11 }, (_, i) => `t${i}`);
    expect((await failure(f.kms.send(new GenerateMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: 'HMAC_SHA_256', GrantTokens: tooMany })))).name)
      .toBe('ValidationException');
    const dry = await failure(f.kms.send(new GenerateMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: 'HMAC_SHA_256', DryRun: true })));
    expect(dry.name).toBe('DryRunOperationException');
  });

  test('calls are counted, the message and MAC redacted; GetKeyLastUsage sees the operation', async () => {
    const key = await hmacKey(f.kms);
    f.sim.calls.reset();
    const { Mac } = await generate(f.kms, key.id);
    await verify(f.kms, key.id, Mac!);
    await failure(verify(f.kms, key.id, Buffer.alloc(32)));
    expect(f.sim.calls.byOperation()).toEqual({ GenerateMac: 1, VerifyMac: 2 });
    expect(f.sim.calls.writes({ includeFailed: true })).toBe(0);
    const records = f.sim.calls.list();
    expect(records.map((r) => [r.request.Message, r.request.Mac ?? null])).toEqual([
      ['<redacted>', null], ['<redacted>', '<redacted>'], ['<redacted>', '<redacted>'],
    ]);
    expect(records[2]).toMatchObject({ ok: false, error: 'KMSInvalidMacException' });
    expect((await f.kms.send(new GetKeyLastUsageCommand({ KeyId: key.id }))).KeyLastUsage?.Operation).toBe('VerifyMac');
  });
});

// The key policy the stack gives its sealing keys (statement A: the account, administration and
// VerifyMac through IAM; B: the named roles may GenerateMac and VerifyMac; C: nobody else may
// GenerateMac, whatever IAM says).
function sealingKeyPolicy(sealers: string[], extra: object[] = []): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'A',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: [
          'kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:PutKeyPolicy', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion',
          'kms:CancelKeyDeletion', 'kms:EnableKey', 'kms:DisableKey', 'kms:UpdateKeyDescription', 'kms:VerifyMac',
        ],
        Resource: '*',
      },
      { Sid: 'B', Effect: 'Allow', Principal: { AWS: sealers }, Action: ['kms:GenerateMac', 'kms:VerifyMac'], Resource: '*' },
      { Sid: 'C', Effect: 'Deny', Principal: '*', Action: 'kms:GenerateMac', Resource: '*', Condition: { ArnNotEquals: { 'aws:PrincipalArn': sealers } } },
      ...extra,
    ],
  });
}

describe('authorization of GenerateMac and VerifyMac', () => {
  let sim: KmsSimulator;
  let admin: KMSClient;
  beforeAll(async () => {
    sim = await startKmsSimulator({ authorization: { principals: [] } });
    admin = sim.client({ maxAttempts: 1 });
  });
  afterAll(async () => sim.stop());

  const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'kms:*', Resource: '*' }] };

  test('the sealing key policy: only the named roles GenerateMac (without any IAM allow); kms:* in IAM only verifies', async () => {
    const lifecycle = principal(sim, 'LifecycleRole');
    const rotation = principal(sim, 'RotationRole');
    const broad = principal(sim, 'BroadAdmin', everything);
    const nobody = principal(sim, 'Nobody');
    const key = await adminKey(admin, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: sealingKeyPolicy([lifecycle.arn, rotation.arn]) });

    const sealed = await generate(lifecycle.kms, key.id);
    await expect(generate(rotation.kms, key.id)).resolves.toMatchObject({ KeyId: key.arn });
    await expect(verify(rotation.kms, key.id, sealed.Mac!)).resolves.toMatchObject({ MacValid: true });

    const refused = await failure(generate(broad.kms, key.id));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toBe(`User: ${broad.arn} is not authorized to perform: kms:GenerateMac on resource: ${key.arn} with an explicit deny in a resource-based policy`);
    await expect(verify(broad.kms, key.id, sealed.Mac!)).resolves.toMatchObject({ MacValid: true });

    expect((await failure(generate(nobody.kms, key.id))).message).toMatch(/with an explicit deny in a resource-based policy$/);
    expect((await failure(verify(nobody.kms, key.id, sealed.Mac!))).message)
      .toBe(`User: ${nobody.arn} is not authorized to perform: kms:VerifyMac on resource: ${key.arn} because no identity-based policy allows the kms:VerifyMac action`);

    expect(sim.authorization.decisions.denied({ principal: broad.arn, operation: 'GenerateMac' })).toBe(1);
    expect(sim.authorization.decisions.allowed({ principal: lifecycle.arn, operation: 'GenerateMac' })).toBe(1);
  });

  test("the Deny binds the simulator's admin credentials too; statement A still lets them administer the key and verify", async () => {
    const sealer = principal(sim, 'Sealer');
    const key = await adminKey(admin, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: sealingKeyPolicy([sealer.arn]) });
    expect((await failure(generate(admin, key.id))).message).toBe(
      `User: ${sim.authorization.adminArn} is not authorized to perform: kms:GenerateMac on resource: ${key.arn} with an explicit deny in a resource-based policy`);
    const { Mac } = await generate(sealer.kms, key.id);
    await expect(verify(admin, key.id, Mac!)).resolves.toMatchObject({ MacValid: true });
    await expect(admin.send(new DescribeKeyCommand({ KeyId: key.id }))).resolves.toBeDefined();
  });

  test('another account\'s principal with kms:* can neither generate nor verify (statement A names this account only)', async () => {
    sim.authorization.setPrincipal({ accessKeyId: 'AKIAHMACOTHER0000001', arn: 'arn:aws:iam::444455556666:role/Outsider', policies: [everything] });
    const outsider = sim.clientFor('AKIAHMACOTHER0000001', { maxAttempts: 1 });
    const sealer = principal(sim, 'Sealer');
    const key = await adminKey(admin, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: sealingKeyPolicy([sealer.arn]) });
    const { Mac } = await generate(sealer.kms, key.id);
    expect((await failure(generate(outsider, key.arn))).name).toBe('AccessDeniedException');
    expect((await failure(verify(outsider, key.arn, Mac!))).message).toMatch(/because no resource-based policy allows the kms:VerifyMac action$/);
  });

  test('conditions: kms:MacAlgorithm in IAM, kms:CallerAccount and aws:PrincipalArn in the key policy', async () => {
    const only512 = principal(sim, 'Only512', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'kms:VerifyMac', Resource: '*', Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_512' } } }],
    });
    const sealer = principal(sim, 'Sealer');
    const key256 = await adminKey(admin, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: sealingKeyPolicy([sealer.arn]) });
    const key512 = await adminKey(admin, { KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: sealingKeyPolicy([sealer.arn]) });
    const mac256 = (await generate(sealer.kms, key256.id)).Mac!;
    const mac512 = (await generate(sealer.kms, key512.id, 'HMAC_SHA_512')).Mac!;
    expect((await failure(verify(only512.kms, key256.id, mac256))).name).toBe('AccessDeniedException');
    await expect(verify(only512.kms, key512.id, mac512, 'HMAC_SHA_512')).resolves.toMatchObject({ MacValid: true });

    // A key policy that lets anyone of this account verify, by condition instead of by name.
    const reader = principal(sim, 'Reader');
    const byCondition = await adminKey(admin, {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
      Policy: sealingKeyPolicy([sealer.arn], [{
        Effect: 'Allow', Principal: '*', Action: 'kms:VerifyMac', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } },
      }]),
    });
    const mac = (await generate(sealer.kms, byCondition.id)).Mac!;
    await expect(verify(reader.kms, byCondition.id, mac)).resolves.toMatchObject({ MacValid: true });
    // The Deny's ArnNotEquals compares aws:PrincipalArn exactly: a role of a similar name is not a sealer.
    const lookalike = principal(sim, 'Sealer', everything);
    expect(lookalike.arn).not.toBe(sealer.arn);
    expect((await failure(generate(lookalike.kms, byCondition.id))).message).toMatch(/explicit deny in a resource-based policy$/);
  });

  test('statement A delegates kms:PutKeyPolicy to IAM: a principal allowed it can widen GenerateMac once the change propagated', async () => {
    const sealer = principal(sim, 'Sealer');
    const broad = principal(sim, 'PolicyWriter', everything);
    const key = await adminKey(admin, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: sealingKeyPolicy([sealer.arn]) });
    await broad.kms.send(new PutKeyPolicyCommand({ KeyId: key.id, Policy: sealingKeyPolicy([sealer.arn, broad.arn]) }));
    expect((await failure(generate(broad.kms, key.id))).name).toBe('AccessDeniedException');
    await sim.sleep(sim.authorization.propagationMs);
    await expect(generate(broad.kms, key.id)).resolves.toMatchObject({ KeyId: key.arn });
  });
});

test('GenerateMac and VerifyMac count against the shared symmetric cryptographic quota', async () => {
  const sim = await startKmsSimulator({ quotas: { [SYMMETRIC_CRYPTOGRAPHIC_QUOTA]: 3 } });
  try {
    const kms = sim.client({ maxAttempts: 1 });
    const key = await hmacKey(kms);
    const symmetric = await createKey(kms);
    const { Mac } = await generate(kms, key.id);
    await verify(kms, key.id, Mac!);
    await kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: Buffer.from('x') }));
    expect((await failure(generate(kms, key.id))).name).toBe('ThrottlingException');
    expect(sim.quotas.throttled('GenerateMac')).toBe(1);
  } finally {
    await sim.stop();
  }
});

test('eventual consistency: a new HMAC key is not found for a while; an alias resolves a moment behind', async () => {
  const LAG = 10_000;
  const NEW_KEY = 30_000;
  const sim = await startKmsSimulator({ consistency: { seed: 5, readLagMs: LAG, newKeyNotFoundMs: NEW_KEY } });
  try {
    const kms = sim.client({ maxAttempts: 1 });
    const a = await hmacKey(kms);
    expect((await failure(generate(kms, a.id))).name).toBe('NotFoundException');
    expect(sim.consistency.newKeyNotFound).toBe(1);
    const b = await hmacKey(kms);
    await sim.sleep(NEW_KEY);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/seal', TargetKeyId: a.id }));
    await sim.sleep(LAG);
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/seal', TargetKeyId: b.id }));
    const resolved = new Set<string>();
    for (let i = 0; i < 5; i++) {
      resolved.add((await generate(kms, 'alias/seal')).KeyId!);
    }
    expect(resolved.has(a.arn)).toBe(true);
    expect(sim.consistency.staleAliasResolutions).toBeGreaterThanOrEqual(1);
    await sim.sleep(LAG);
    expect((await generate(kms, 'alias/seal')).KeyId).toBe(b.arn);
  } finally {
    await sim.stop();
  }
});
