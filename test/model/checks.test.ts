/**
 * The checks themselves: each invariant check reports a violation when what
 * it protects is broken. Either the admin breaks the world between two steps
 * (a `Sabotage` step), or a step is handed invocations that did what the
 * engine must never do (KMS requests and answers made up for the test).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { checkStep, StepRecord } from './checks';
import { AdvanceClock, Cmd, EmergencyRun, Encrypt, firstDeploy, Sabotage, SabotageKind, ScheduledRuns } from './commands';
import { envOptionsFor, FunctionCall, ModelEnv } from './env';
import { NO_FAULT } from './faults';
import { forgeKey, History, InvocationResult, ledgerOf } from './history';
import { HistoryReport, runHistory } from './runner';
import { Ledger } from '../../lambda/rotation/ledger';
import { GroupRecord } from '../../lambda/rotation/ledger-model';
import { RotationOutcome } from '../../lambda/rotation/rotate';

const START = new Date('2026-03-01T03:00:00Z');

describe('every check notices what it protects being broken', () => {
  let env: ModelEnv;
  beforeAll(async () => { env = await ModelEnv.start(envOptionsFor(7)); });
  afterAll(async () => env.stop());

  const replay = (commands: Cmd[]): Promise<HistoryReport> => runHistory(env, { setup: { start: START, intervalMonths: 6, removal: 'destroy' }, commands });
  const sabotage = (what: SabotageKind) => new Sabotage(what);
  const rotated = (): Cmd[] => [new EmergencyRun(false, NO_FAULT), new ScheduledRuns(3, NO_FAULT)];

  test.each<[string, Cmd[], RegExp]>([
    ['2: the alias resolves to a key pending deletion', [sabotage('delete-current-key')], /^2: alias alias\/model-\d+ points at .* PendingDeletion/],
    ['1: a kept ciphertext no longer decrypts', [new AdvanceClock({ to: 'minutes', n: 1 }), new Encrypt(1), sabotage('delete-current-key')], /^1: a ciphertext of .* no longer decrypts/],
    ['2: the alias points at a key the ledger does not record', [sabotage('alias-to-forged-key')], /^2: alias .* which the ledger does not record/],
    ['7: the writer is denied once a deny has reached authorization', [sabotage('deny-writer'), new AdvanceClock({ to: 'minutes', n: 6 })], /^7: the writer was denied Encrypt/],
    ['5: key material in a tag', [sabotage('leak-material')], /^5: imported key material #\d+ of this history appears in a tag or description/],
    ['7: a retired generation without its fence', [...rotated(), sabotage('unfence-retired')], /^7: retired generation \d+ .* its key policy has no fence/],
    ['3: a pending key no rotation names', [sabotage('stray-attempt-key')], /^3: key\(s\) .* left behind/],
  ])('%s', async (_name, commands, signature) => {
    const r = await replay(commands);
    expect(r.violations.filter((v) => signature.test(v))).not.toEqual([]);
  });
});

describe('the checks judge what the functions did', () => {
  let env: ModelEnv;
  let hist: History;
  let seq = 1_000_000;
  beforeAll(async () => {
    env = await ModelEnv.start(envOptionsFor(8));
    hist = new History(1, { start: START, intervalMonths: 6, removal: 'destroy' }, env);
    await env.beginHistory(START);
    hist.materialsFrom = env.h.sim.state.importedMaterials().length;
    hist.readsFrom = env.h.db.reads.length;
    await forgeKey(env, hist);
    await firstDeploy().run(hist, env);
  });
  afterAll(async () => env.stop());

  const now = () => env.h.sim.clock.now().getTime();
  const call = (op: string, request: Record<string, unknown>): FunctionCall => ({ op, request, status: 200, at: now(), seq: ++seq });
  const invocation = (o: Partial<InvocationResult>): InvocationResult => ({
    label: 'rotate-if-due',
    entry: 'rotation',
    event: { action: 'rotate-if-due', aliasName: hist.group.aliasName },
    fault: NO_FAULT,
    fired: false,
    absorbable: true,
    calls: [],
    startedAt: now(),
    endedAt: now(),
    lockMayBeHeld: false,
    ...o,
  });
  const step = async (invocations: InvocationResult[], extra: Partial<StepRecord> = {}): Promise<string[]> => {
    for (const r of invocations) hist.calls.push(...r.calls);
    return checkStep(env, hist, { kind: 'scheduled', invocations, concurrent: false, recBefore: await ledgerOf(env, hist), phaseBefore: 'live', ...extra });
  };
  const current = async () => (await ledgerOf(env, hist))!.generations.find((g) => g.stage === 'current')!;

  test('the deploy itself broke nothing', () => {
    expect(hist.violations).toEqual([]);
  });

  test('4: a write to the forged key, which the ledger never recorded', async () => {
    const v = await step([invocation({ calls: [call('TagResource', { KeyId: hist.forgedKeyId, Tags: [{ TagKey: 'x', TagValue: 'y' }] })] })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^4: rotate-if-due called TagResource on the forged key/)]));
  });

  test('9: the rotation entry point changes a description', async () => {
    const v = await step([invocation({ calls: [call('UpdateKeyDescription', { KeyId: (await current()).keyId, Description: 'changed' })] })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^9: the rotation entry point called UpdateKeyDescription/)]));
  });

  test('9: the rotation entry point puts a policy that is not the stack\'s', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Open', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }] });
    const v = await step([invocation({ calls: [call('PutKeyPolicy', { KeyId: (await current()).keyId, Policy: policy })] })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^9: the rotation entry point put a key policy/)]));
  });

  test('8: a promotion reported with a key the ledger does not have', async () => {
    const result: RotationOutcome = { outcome: 'promoted', group: hist.group.groupId, generation: 2, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/none', phasesDone: ['promote'] };
    const v = await step([invocation({ result })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^8: rotate-if-due answered promoted with key .*none/)]));
  });

  test('8: not-due reported while the group is due', async () => {
    const before = await ledgerOf(env, hist);
    const due: GroupRecord = { ...before!, nextDueAt: new Date(now() - 2 * 86_400_000).toISOString() };
    const result: RotationOutcome = { outcome: 'not-due', group: hist.group.groupId, generation: 1, phasesDone: [] };
    const v = await step([invocation({ result })], { recBefore: due });
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^8: rotate-if-due answered not-due, but the group was due/)]));
  });

  test('9: a forged event that reached KMS and the ledger', async () => {
    const v = await step([invocation({ label: 'forged', error: Object.assign(new Error('refused'), { name: 'InvalidRequestError' }) })], {
      kind: 'forged', forged: { simCallsBefore: 1, simCallsAfter: 2, readsBefore: 1, readsAfter: 2 },
    });
    expect(v).toEqual(expect.arrayContaining(['9: KMS was called while a forged event was refused', '9: the ledger was read for a forged event']));
  });

  test('7: a fence put on the key the alias points at', async () => {
    const g = await current();
    const policy = JSON.parse(env.h.sim.state.key(g.keyId)!.policy);
    policy.Statement.push({ Sid: 'RotationRetiredDecryptOnly', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['kms:Encrypt'], Resource: '*' });
    const v = await step([invocation({ calls: [call('PutKeyPolicy', { KeyId: g.keyId, PolicyName: 'default', Policy: JSON.stringify(policy) })] })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^7: rotate-if-due fenced .* while alias\/model-1 pointed at it/)]));
  });

  test('7: the alias moved to a key made less than a propagation window ago', async () => {
    const v = await step([invocation({ calls: [call('UpdateAlias', { AliasName: hist.group.aliasName, TargetKeyId: hist.forgedKeyId })] })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^7: alias\/model-1 moved to .* s after the key was made \(window 420 s\)/)]));
  });

  test('lock: two invocations at once whose KMS writes interleave', async () => {
    const keyId = (await current()).keyId;
    const tag = () => call('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'rotation:stage', TagValue: 'current' }] });
    const [a1, b1, a2] = [tag(), tag(), tag()];
    const v = await step([invocation({ calls: [a1, a2] }), invocation({ label: 'update', entry: 'lifecycle', event: { RequestType: 'Update' }, calls: [b1] })], { concurrent: true });
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^lock: rotate-if-due and update changed the group's keys at the same time/)]));
  });

  test('a ledger read that is not strongly consistent', async () => {
    env.h.db.reads.push({ command: 'GetItemCommand', consistent: false });
    expect(await step([])).toEqual(expect.arrayContaining([expect.stringMatching(/^ledger: 1 DynamoDB read\(s\) of the functions were not strongly consistent/)]));
  });

  test('liveness: a run that fails with nothing in its way', async () => {
    const v = await step([invocation({ error: Object.assign(new Error('boom'), { name: 'AccessDeniedException' }) })]);
    expect(v).toEqual(expect.arrayContaining([expect.stringMatching(/^liveness: rotate-if-due failed although nothing stopped it: AccessDeniedException/)]));
  });

  test('6: two promotions in one due period without an emergency', async () => {
    const before = (await ledgerOf(env, hist))!;
    const g1 = before.generations[0];
    const activated = new Date(now() + 86_400_000).toISOString();
    const g2 = { ...g1, n: 2, keyId: hist.forgedKeyId, keyArn: `arn:aws:kms:us-east-1:111122223333:key/${hist.forgedKeyId}`, stage: 'current' as const, activatedAt: activated, claimedAt: activated };
    const next = { ...before, generations: [{ ...g1, stage: 'retired' as const, retiredAt: activated }, g2] };
    const ledger = new Ledger(new DynamoDBClient({ region: 'us-east-1', endpoint: env.h.db.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), env.h.tableName);
    await ledger.write(next, before, new Date(now()), { runId: 'model-check' });
    expect(await step([])).toEqual(expect.arrayContaining([expect.stringMatching(/^6: 1 rotations before their due date, but only 0 emergencies/)]));
  });
});
