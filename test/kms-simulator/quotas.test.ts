import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetParametersForImportCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { allow, failure } from './authorization-helpers';
import { DEFAULT_KMS_QUOTAS, defaultQuotas, KmsSimulator, QuotaRates, startKmsSimulator, SYMMETRIC_CRYPTOGRAPHIC_QUOTA } from './index';
import { QuotaLimiter } from './quotas';
import { createExternalKey, createKey } from './test-helpers';

async function withSimulator(
  opts: { quotas: 'default' | QuotaRates; quotaScale?: number; quotaClock?: 'real'; authorization?: { principals: [] } },
  body: (sim: KmsSimulator, kms: KMSClient) => Promise<void>,
): Promise<void> {
  const sim = await startKmsSimulator(opts);
  try {
    await body(sim, sim.client({ maxAttempts: 1 }));
  } finally {
    await sim.stop();
  }
}

const sleepReal = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RSA_PARAMS = { WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' } as const;

test('default quotas are the documented ones; the shared cryptographic quota depends on the Region', () => {
  expect(DEFAULT_KMS_QUOTAS).toMatchObject({
    GetParametersForImport: 1,
    CreateKey: 5,
    CreateAlias: 5,
    UpdateAlias: 5,
    DeleteAlias: 15,
    TagResource: 10,
    UntagResource: 5,
    PutKeyPolicy: 15,
    ImportKeyMaterial: 15,
    ScheduleKeyDeletion: 15,
    DescribeKey: 2000,
    ListAliases: 500,
    ListResourceTags: 2000,
    UpdateKeyDescription: 5,
    [SYMMETRIC_CRYPTOGRAPHIC_QUOTA]: 10000,
  });
  expect(defaultQuotas('us-east-1')[SYMMETRIC_CRYPTOGRAPHIC_QUOTA]).toBe(100000);
  expect(defaultQuotas('eu-central-1')[SYMMETRIC_CRYPTOGRAPHIC_QUOTA]).toBe(20000);
  expect(defaultQuotas('sa-east-1')[SYMMETRIC_CRYPTOGRAPHIC_QUOTA]).toBe(10000);
});

test("'default': GetParametersForImport admits 1 request per second of the simulated clock", () =>
  withSimulator({ quotas: 'default' }, async (sim, kms) => {
    const keyId = await createExternalKey(kms);
    const params = () => kms.send(new GetParametersForImportCommand({ KeyId: keyId, ...RSA_PARAMS }));
    await params();
    const err = await failure(params());
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(sim.quotas.throttled('GetParametersForImport')).toBe(1);
    await sim.sleep(999);
    expect((await failure(params())).name).toBe('ThrottlingException');
    await sim.sleep(1);
    await params();
    expect(sim.quotas.throttled('GetParametersForImport')).toBe(2);
  }));

test("the simulator's clients back off on the simulated clock: a throttled call is retried once the quota has refilled", () =>
  withSimulator({ quotas: { GetParametersForImport: 1 } }, async (sim) => {
    const kms = sim.client({ maxAttempts: 3 });
    const keyId = await createExternalKey(kms);
    await kms.send(new GetParametersForImportCommand({ KeyId: keyId, ...RSA_PARAMS }));
    const before = sim.clock.now().getTime();
    // Throttled at once and after 500 ms (half a token); admitted after another 1,000 ms.
    const second = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, ...RSA_PARAMS }));
    expect(second.$metadata.attempts).toBe(3);
    expect(sim.clock.now().getTime() - before).toBe(1500);
    expect(sim.quotas.throttled('GetParametersForImport')).toBe(2);
  }));

test("quotaClock 'real' (benchmarks): a 1/s quota admits a second request only after a real second", () =>
  withSimulator({ quotas: { GetParametersForImport: 1 }, quotaClock: 'real' }, async (sim, kms) => {
    const keyId = await createExternalKey(kms);
    const params = () => kms.send(new GetParametersForImportCommand({ KeyId: keyId, ...RSA_PARAMS }));
    const started = Date.now();
    await params();
    sim.clock.advance(60_000); // the simulated clock does not refill it
    // However slow the machine, the bucket cannot refill sooner than a second after the first admission.
    while (await params().then(() => false, (e) => e.name === 'ThrottlingException')) {
      await sleepReal(50);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  }));

test('quotaScale speeds every quota up (scale 20: 20 GetParametersForImport per second)', () =>
  withSimulator({ quotas: 'default', quotaScale: 20 }, async (sim, kms) => {
    const keyIds: string[] = [];
    for (let i = 0; i < 40; i++) {
      keyIds.push(await createExternalKey(kms));
    }
    const outcomes = await Promise.allSettled(keyIds.map((keyId) =>
      kms.send(new GetParametersForImportCommand({ KeyId: keyId, ...RSA_PARAMS }))));
    // The simulated clock stands still: exactly one second's worth of the scaled quota.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(20);
    expect(sim.quotas.throttled()).toBe(20);
    await sim.sleep(50);
    await kms.send(new GetParametersForImportCommand({ KeyId: keyIds[0], ...RSA_PARAMS }));
    expect((await failure(kms.send(new GetParametersForImportCommand({ KeyId: keyIds[0], ...RSA_PARAMS })))).name).toBe('ThrottlingException');
  }));

test('the symmetric cryptographic operations share one quota; operations without a quota are not limited', () =>
  withSimulator({ quotas: { [SYMMETRIC_CRYPTOGRAPHIC_QUOTA]: 3 } }, async (sim, kms) => {
    const keyId = await createKey(kms);
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    await kms.send(new DecryptCommand({ CiphertextBlob }));
    await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect((await failure(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })))).name).toBe('ThrottlingException');
    for (let i = 0; i < 10; i++) {
      await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    }
    expect(sim.quotas.throttled()).toBe(1);
  }));

test('quotas are per account; the tagging API answers ThrottledException', () =>
  withSimulator({ quotas: { ListKeys: 1, GetResources: 1 }, authorization: { principals: [] } }, async (sim, kms) => {
    sim.authorization.setPrincipal({ accessKeyId: 'AKIAOTHERACCOUNT0001', arn: 'arn:aws:iam::444455556666:role/Other', policies: [allow('kms:ListKeys')] });
    await kms.send(new ListKeysCommand({}));
    expect((await failure(kms.send(new ListKeysCommand({})))).name).toBe('ThrottlingException');
    await sim.clientFor('AKIAOTHERACCOUNT0001', { maxAttempts: 1 }).send(new ListKeysCommand({}));
    const tagging = sim.taggingClient({ maxAttempts: 1 });
    await tagging.send(new GetResourcesCommand({}));
    await expect(tagging.send(new GetResourcesCommand({}))).rejects.toMatchObject({ name: 'ThrottledException' });
  }));

test('off by default', async () => {
  const sim = await startKmsSimulator();
  try {
    const kms = sim.client({ maxAttempts: 1 });
    const keyId = await createExternalKey(kms);
    for (let i = 0; i < 3; i++) {
      await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
    }
    expect(sim.quotas).toMatchObject({ enabled: false });
    expect(sim.quotas.throttled()).toBe(0);
  } finally {
    await sim.stop();
  }
});

describe('pausing the quotas', () => {
  test('admits every request while paused, and limits again after', () => {
    const limiter = new QuotaLimiter({ GetParametersForImport: 1 }, 1);
    limiter.paused = true;
    expect([1, 2, 3].map(() => limiter.admit('111122223333', 'GetParametersForImport', 1000))).toEqual([true, true, true]);
    limiter.paused = false;
    expect([1, 2].map(() => limiter.admit('111122223333', 'GetParametersForImport', 1000))).toEqual([true, false]);
  });
});
