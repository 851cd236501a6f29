import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetParametersForImportCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateKeyInput, failure, keyPolicy } from './authorization-helpers';
import { MS_PER_DAY } from './clock';
import { ConsistencyOptions, KmsSimulator, startKmsSimulator } from './index';
import { importMaterial, newMaterial } from './test-helpers';

const LAG = 10_000;
const NEW_KEY = 30_000;

async function withSimulator<T>(consistency: ConsistencyOptions, body: (sim: KmsSimulator, kms: KMSClient) => Promise<T>): Promise<T> {
  const sim = await startKmsSimulator({ consistency });
  try {
    return await body(sim, sim.client({ maxAttempts: 1 }));
  } finally {
    await sim.stop();
  }
}

const describe_ = (kms: KMSClient, keyId: string) => kms.send(new DescribeKeyCommand({ KeyId: keyId }));
const createKey = async (kms: KMSClient, input: CreateKeyInput = {}) =>
  (await kms.send(new CreateKeyCommand(input))).KeyMetadata!;

test('off by default: no stale answers, counters stay zero', async () => {
  const sim = await startKmsSimulator();
  try {
    const kms = sim.client({ maxAttempts: 1 });
    const { KeyId } = await createKey(kms);
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId, Description: 'new' }));
    expect((await describe_(kms, KeyId!)).KeyMetadata!.Description).toBe('new');
    expect(sim.consistency).toMatchObject({ enabled: false, total: 0 });
  } finally {
    await sim.stop();
  }
});

test('a new key answers NotFoundException to every operation naming it by id or ARN until its delay passed', () =>
  withSimulator({ seed: 7, readLagMs: 0, newKeyNotFoundMs: NEW_KEY }, async (sim, kms) => {
    const { KeyId, Arn } = await createKey(kms, { Origin: 'EXTERNAL' });
    const calls: Array<() => Promise<unknown>> = [
      () => describe_(kms, KeyId!),
      () => describe_(kms, Arn!),
      () => kms.send(new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })),
      () => kms.send(new CreateAliasCommand({ AliasName: 'alias/new-key', TargetKeyId: KeyId })),
      () => kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] })),
      () => kms.send(new GetKeyPolicyCommand({ KeyId })),
      () => kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') })),
    ];
    for (const call of calls) {
      expect((await failure(call())).name).toBe('NotFoundException');
    }
    expect(sim.consistency.newKeyNotFound).toBe(calls.length);
    await sim.sleep(NEW_KEY);
    await describe_(kms, KeyId!);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/new-key', TargetKeyId: KeyId }));
    await importMaterial(kms, KeyId!, newMaterial(), sim.clock.now());
    expect(sim.consistency.newKeyNotFound).toBe(calls.length);
  }));

test('the delay of each key is drawn from [0, newKeyNotFoundMs] and a retry loop with sim.sleep gets through', () =>
  withSimulator({ seed: 11, readLagMs: 0, newKeyNotFoundMs: NEW_KEY }, async (sim, kms) => {
    const waited: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { KeyId } = await createKey(kms);
      const start = sim.clock.now().getTime();
      for (;;) {
        try {
          await describe_(kms, KeyId!);
          break;
        } catch (e) {
          expect((e as Error).name).toBe('NotFoundException');
          await sim.sleep(2500);
        }
      }
      waited.push(sim.clock.now().getTime() - start);
    }
    expect(Math.max(...waited)).toBeLessThanOrEqual(NEW_KEY + 2500);
    expect(new Set(waited).size).toBeGreaterThan(1);
    expect(sim.consistency.newKeyNotFound).toBe(waited.reduce((n, w) => n + w / 2500, 0));
  }));

test('reads answer from the state of up to readLagMs ago; writes see the latest state', () =>
  withSimulator({ seed: 3, readLagMs: LAG, newKeyNotFoundMs: 0 }, async (sim, kms) => {
    const { KeyId } = await createKey(kms, { Description: 'old', Tags: [{ TagKey: 'stage', TagValue: 'pending' }] });
    // The key did not exist at now - lag: lagged reads do not find it, writes do.
    expect((await failure(describe_(kms, KeyId!))).name).toBe('NotFoundException');
    expect((await kms.send(new ListKeysCommand({}))).Keys).toEqual([]);
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId, Description: 'old' }));
    await sim.sleep(LAG);

    await kms.send(new UpdateKeyDescriptionCommand({ KeyId, Description: 'new' }));
    await kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'stage', TagValue: 'current' }] }));
    await kms.send(new PutKeyPolicyCommand({ KeyId, Policy: keyPolicy({ Sid: 'New', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }) }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/lagged', TargetKeyId: KeyId }));
    expect((await describe_(kms, KeyId!)).KeyMetadata!.Description).toBe('old');
    expect((await kms.send(new ListResourceTagsCommand({ KeyId }))).Tags).toEqual([{ TagKey: 'stage', TagValue: 'pending' }]);
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId }))).Policy).not.toContain('"New"');
    expect((await kms.send(new ListAliasesCommand({}))).Aliases).toEqual([]);
    expect((await failure(describe_(kms, 'alias/lagged'))).name).toBe('NotFoundException');
    const tagging = sim.taggingClient({ maxAttempts: 1 });
    expect((await tagging.send(new GetResourcesCommand({}))).ResourceTagMappingList![0].Tags).toEqual([{ Key: 'stage', Value: 'pending' }]);
    // Uniqueness is checked against the latest state.
    await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/lagged', TargetKeyId: KeyId }))).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    expect(sim.consistency.staleReads).toBe(8);
    expect(sim.consistency.byOperation()).toEqual({
      DescribeKey: 3,
      ListKeys: 1,
      ListResourceTags: 1,
      GetKeyPolicy: 1,
      ListAliases: 1,
      GetResources: 1,
    });

    await sim.sleep(LAG);
    expect((await describe_(kms, 'alias/lagged')).KeyMetadata!.Description).toBe('new');
    expect((await kms.send(new ListAliasesCommand({ KeyId }))).Aliases).toEqual([expect.objectContaining({
      AliasName: 'alias/lagged',
      CreationDate: expect.any(Date),
      LastUpdatedDate: expect.any(Date),
    })]);
    expect((await tagging.send(new GetResourcesCommand({}))).ResourceTagMappingList![0].Tags).toEqual([{ Key: 'stage', Value: 'current' }]);
  }));

test('within the lag window reads flip between old and new values, reproducibly from the seed', async () => {
  const run = () => withSimulator({ seed: 42, readLagMs: LAG, newKeyNotFoundMs: 0 }, async (sim, kms) => {
    const { KeyId } = await createKey(kms, { Description: 'old' });
    await sim.sleep(LAG);
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId, Description: 'new' }));
    await sim.sleep(LAG / 2);
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      seen.push((await describe_(kms, KeyId!)).KeyMetadata!.Description!);
    }
    expect(sim.consistency.staleReads).toBe(seen.filter((d) => d === 'old').length);
    return seen;
  });
  const first = await run();
  expect(new Set(first)).toEqual(new Set(['old', 'new']));
  expect(await run()).toEqual(first);
});

test('cryptographic operations resolve an alias a moment behind: a writer may reach the previous key after UpdateAlias', () =>
  withSimulator({ seed: 5, readLagMs: LAG, newKeyNotFoundMs: 0 }, async (sim, kms) => {
    const a = await createKey(kms);
    const b = await createKey(kms);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/writer', TargetKeyId: a.KeyId }));
    await sim.sleep(LAG);
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/writer', TargetKeyId: b.KeyId }));
    expect((await kms.send(new EncryptCommand({ KeyId: 'alias/writer', Plaintext: Buffer.from('x') }))).KeyId).toBe(a.Arn);
    expect(sim.consistency.staleAliasResolutions).toBe(1);
    await sim.sleep(LAG);
    expect((await kms.send(new EncryptCommand({ KeyId: 'alias/writer', Plaintext: Buffer.from('x') }))).KeyId).toBe(b.Arn);
    expect(sim.consistency.staleAliasResolutions).toBe(1);
  }));

test('time-driven changes are recorded when they were due: expiry and deletion reach lagged reads after the lag', () =>
  withSimulator({ seed: 9, readLagMs: LAG, newKeyNotFoundMs: 0 }, async (sim, kms) => {
    const { KeyId } = await createKey(kms, { Origin: 'EXTERNAL' });
    const validTo = new Date(sim.clock.now().getTime() + MS_PER_DAY);
    await importMaterial(kms, KeyId!, newMaterial(), sim.clock.now(), { validTo });
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/expiring', TargetKeyId: KeyId }));
    sim.clock.set(validTo);
    expect((await describe_(kms, KeyId!)).KeyMetadata!.KeyState).toBe('Enabled');
    expect(sim.state.key(KeyId!)?.state).toBe('PendingImport');
    await sim.sleep(LAG);
    expect((await describe_(kms, KeyId!)).KeyMetadata!.KeyState).toBe('PendingImport');

    const deletion = (await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }))).DeletionDate!;
    sim.clock.set(deletion);
    expect(sim.state.key(KeyId!)).toBeUndefined();
    expect((await describe_(kms, 'alias/expiring')).KeyMetadata!.KeyState).toBe('PendingDeletion');
    await sim.sleep(LAG);
    expect((await failure(describe_(kms, KeyId!))).name).toBe('NotFoundException');
    expect((await kms.send(new ListAliasesCommand({}))).Aliases).toEqual([]);
  }));

test('setting the clock back settles the history: every read sees the latest state', () =>
  withSimulator({ seed: 1, readLagMs: LAG, newKeyNotFoundMs: NEW_KEY }, async (sim, kms) => {
    const start = sim.clock.now();
    const { KeyId } = await createKey(kms, { Description: 'only' });
    sim.clock.set(new Date(start.getTime() - 1));
    expect((await describe_(kms, KeyId!)).KeyMetadata!.Description).toBe('only');
    expect(sim.consistency.total).toBe(0);
  }));

test('sim.sleep advances the simulated clock and yields to the event loop', () =>
  withSimulator({ seed: 1, readLagMs: 0, newKeyNotFoundMs: 0 }, async (sim) => {
    const before = sim.clock.now().getTime();
    let ranMeanwhile = false;
    setImmediate(() => {
      ranMeanwhile = true;
    });
    await sim.sleep(1234);
    expect(sim.clock.now().getTime() - before).toBe(1234);
    expect(ranMeanwhile).toBe(true);
  }));

test('the consistency and authorization modes work together', async () => {
  const sim = await startKmsSimulator({ consistency: { seed: 2, readLagMs: LAG, newKeyNotFoundMs: NEW_KEY }, authorization: { principals: [] } });
  try {
    const kms = sim.client({ maxAttempts: 1 });
    const { KeyId } = await createKey(kms);
    await sim.sleep(Math.max(LAG, NEW_KEY));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/both-modes', TargetKeyId: KeyId }));
    expect((await failure(describe_(kms, 'alias/both-modes'))).name).toBe('NotFoundException');
    await sim.sleep(LAG);
    expect((await describe_(kms, 'alias/both-modes')).KeyMetadata!.KeyId).toBe(KeyId);
    expect(sim.authorization.decisions.denied()).toBe(0);
  } finally {
    await sim.stop();
  }
});

test('exact: every read lags exactly readLagMs and every new key stays unfound exactly newKeyNotFoundMs', () =>
  withSimulator({ seed: 1, readLagMs: 60_000, newKeyNotFoundMs: 60_000, exact: true }, async (sim, kms) => {
    const keys = [await createKey(kms, { Description: 'old' }), await createKey(kms, { Description: 'old' })];
    // Just before the full delay, neither key is found, by a write naming it or by a read; at the delay, both are.
    await sim.sleep(59_999);
    for (const k of keys) {
      expect((await failure(kms.send(new UpdateKeyDescriptionCommand({ KeyId: k.KeyId, Description: 'new' })))).name).toBe('NotFoundException');
      expect((await failure(describe_(kms, k.KeyId!))).name).toBe('NotFoundException');
    }
    await sim.sleep(1);
    for (const k of keys) await kms.send(new UpdateKeyDescriptionCommand({ KeyId: k.KeyId, Description: 'new' }));
    // Every read shows the state of exactly a minute ago, for as long as it is asked: never the new description before then.
    for (let s = 0; s < 60; s += 10) {
      for (const k of keys) expect((await describe_(kms, k.KeyId!)).KeyMetadata!.Description).toBe('old');
      await sim.sleep(10_000);
    }
    for (const k of keys) expect((await describe_(kms, k.KeyId!)).KeyMetadata!.Description).toBe('new');
    expect(sim.consistency.newKeyNotFound).toBe(2);
    // The twelve reads of 'old' were stale; the two before the delay were not (the latest state does not find the key either).
    expect(sim.consistency.staleReads).toBe(12);
  }));
