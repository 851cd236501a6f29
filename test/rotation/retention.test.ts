/**
 * Retention of retired generations through the real SDK clients, the KMS
 * simulator and a local DynamoDB: each policy over 10 monthly rotations
 * (the schedule driven around each due date, idle days skipped), with every
 * generation's key state and labels checked after every rotation.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { Deps } from '../../lambda/rotation/context';
import { enableRetiredGeneration } from '../../lambda/rotation/enable-generation';
import { KmsGateway } from '../../lambda/rotation/kms-gateway';
import { currentGeneration, GroupRecord } from '../../lambda/rotation/ledger-model';
import { SID } from '../../lambda/rotation/policy';
import { retentionWork } from '../../lambda/rotation/retention';
import { retentionOf } from '../../lambda/rotation/settings';
import { TAG } from '../../lambda/rotation/tags';
import type { PolicyDocument } from '../iam';
import { MS_PER_DAY } from '../kms-simulator';
import { cfnEvent, groupProps, rotateIfDue } from './fixtures';
import { Functions, Harness, REGION } from './harness';
import { LambdaEndpoint } from './lambda-endpoint';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');

const MONTHLY = { IntervalMonths: '1' };
/** An operator who may invoke the rotation function (what grantRotateNow gives), nothing else. */
const OPERATOR = { accessKeyId: 'AKIDOPERATOR', secretAccessKey: 'AKIDOPERATOR-secret' };
const ALLOW_INVOKE: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] };
const KEEP_LATEST_2 = JSON.stringify({ policy: 'keep-latest', count: 2 });
const QUIET_DAYS = 30;
const DELETE_AFTER = JSON.stringify({ policy: 'delete-after', afterDays: 30, quietDays: QUIET_DAYS, pendingWindowDays: 7 });

/** Runs the schedule around the group's next due date (in its schedule hour) until the rotation completed. */
async function rotateAtDueDate(h: Harness, f: Functions): Promise<void> {
  const due = new Date((await h.group()).nextDueAt!);
  const start = new Date(due);
  start.setUTCHours(2, 55, 0, 0);
  if (due.getUTCHours() >= 4) start.setTime(start.getTime() + MS_PER_DAY);
  h.sim.clock.set(start);
  const outcomes = await h.runSchedule(f, 90 * 60_000);
  expect(outcomes.map((o) => o.outcome)).toContain('completed');
}

/** One idle scheduled run half-way to the next due date (retention acts on any run when something is due). */
async function idleRunMidMonth(h: Harness, f: Functions): Promise<void> {
  h.sim.clock.set(new Date(Date.parse((await h.group()).nextDueAt!) - 14 * MS_PER_DAY));
  expect((await f.rotation(rotateIfDue())).outcome).toBe('not-due');
}

/** The key's state; `Deleted` once its pending window passed and KMS deleted it. */
async function keyState(h: Harness, keyId: string): Promise<string> {
  try {
    return (await h.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState!;
  } catch (e) {
    if ((e as Error).name === 'NotFoundException') return 'Deleted';
    throw e;
  }
}

/** Every generation's state in KMS and its labels agree with the ledger; the current and previous ones are enabled. */
async function checkGenerations(h: Harness, rec: GroupRecord): Promise<Array<[number, string]>> {
  const current = currentGeneration(rec)!;
  const previous = rec.generations.filter((g) => g.stage === 'retired').sort((a, b) => b.n - a.n)[0];
  const out: Array<[number, string]> = [];
  for (const g of rec.generations) {
    const state = await keyState(h, g.keyId);
    out.push([g.n, state]);
    const expected = g.deletionScheduledAt ? (state === 'Deleted' ? 'Deleted' : 'PendingDeletion') : g.disabledAt ? 'Disabled' : 'Enabled';
    expect([g.n, state]).toEqual([g.n, expected]);
    if (state === 'Deleted') continue;
    const tags = h.sim.state.key(g.keyId)!.tags;
    expect([g.n, tags[TAG.stage]]).toEqual([g.n, g.n === current.n ? 'current' : 'retired']);
    if (!g.deletionScheduledAt) expect([g.n, tags[TAG.retention]]).toEqual([g.n, g.disabledAt ? 'disabled' : g.retentionExemptAt ? 'exempt' : undefined]);
    if (g.n === current.n || g.n === previous?.n) expect([g.n, state]).toEqual([g.n, 'Enabled']);
  }
  return out;
}

function depsOf(h: Harness): Deps {
  return {
    kms: new KmsGateway(h.sim.client({ maxAttempts: 3 }), h.sim.taggingClient({ maxAttempts: 3 })),
    ledger: h.ledger,
    now: () => h.sim.clock.now(),
    log: h.log,
    runId: 'operator-cli',
    leaseMs: 60_000,
    sleep: (ms) => h.sleep(ms),
    remainingMs: () => Number.MAX_SAFE_INTEGER,
  };
}

describe('retention of retired generations', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());

  test('keepAll (the default): after 10 monthly rotations every generation is enabled', async () => {
    await h.deploy(f, MONTHLY);
    for (let i = 0; i < 10; i++) await rotateAtDueDate(h, f);
    const rec = await h.group();
    expect(retentionOf(rec.settings)).toEqual({ policy: 'keep-all' });
    const states = await checkGenerations(h, rec);
    expect(states.map(([, s]) => s)).toEqual(Array(11).fill('Enabled'));
    expect(h.sim.calls.list().filter((c) => ['DisableKey', 'GetKeyLastUsage'].includes(c.op))).toEqual([]);
  });

  test('keepLatest(2): beyond the two newest retired generations each is disabled, never deleted; enable-generation brings one back, decrypt-only', async () => {
    await h.deploy(f, { ...MONTHLY, Retention: KEEP_LATEST_2 });
    for (let i = 1; i <= 10; i++) {
      await rotateAtDueDate(h, f);
      const rec = await h.group();
      const states = await checkGenerations(h, rec);
      // Current i+1, retired 1..i: the newest two retired stay enabled.
      expect(states).toEqual(states.map(([n]) => [n, n >= i - 1 ? 'Enabled' : 'Disabled']));
    }
    const rec = await h.group();
    expect(rec.generations.filter((g) => g.deletionScheduledAt)).toEqual([]);
    const events = await h.ledger.events(rec.groupId);
    expect(events.filter((e) => e.type === 'generation-disabled').map((e) => e.generation)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const g3 = rec.generations.find((g) => g.n === 3)!;
    // The shipped CLI, in its own process, with the standard SDK configuration, through the rotation function.
    const functionArn = `arn:aws:lambda:${REGION}:111122223333:function:rotation`;
    const endpoint = await LambdaEndpoint.start([{ name: 'rotation', arn: functionArn, invoke: (event) => f.rotation(event) }],
      [{ accessKeyId: OPERATOR.accessKeyId, arn: 'arn:aws:iam::111122223333:role/Operator', policies: [ALLOW_INVOKE] }]);
    const cli = (args: string[]) => promisify(execFile)(process.execPath, [CLI, 'enable-generation', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
        AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
        AWS_ENDPOINT_URL_LAMBDA: endpoint.url,
        CDK_ROTATING_IMPORTED_KEY_FUNCTION: functionArn,
      },
    });
    const { stdout } = await cli(['--alias', 'alias/telemetry', '--generation', '3']);
    expect(JSON.parse(stdout)).toMatchObject({ generation: 3, stage: 'retired', fenced: true, retentionExemptAt: expect.any(String), reenabledAt: expect.any(String) });
    expect((await h.group()).generations.find((g) => g.n === 3)!.disabledAt).toBeUndefined();
    const refused = await cli(['--alias', 'alias/telemetry', '--generation', '11']).then(() => undefined, (e: { code: number; stderr: string }) => e);
    await endpoint.stop();
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('only a fenced retired generation can be enabled again') });
    expect(await keyState(h, g3.keyId)).toBe('Enabled');
    const policy = JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: g3.keyId, PolicyName: 'default' }))).Policy!);
    expect(policy.Statement.map((s: { Sid?: string }) => s.Sid)).toContain(SID.retiredFence);
    expect(h.sim.state.key(g3.keyId)!.tags[TAG.retention]).toBe('exempt');
    // The schedule does not disable it again.
    await rotateAtDueDate(h, f);
    const after = await h.group();
    await checkGenerations(h, after);
    expect(await keyState(h, g3.keyId)).toBe('Enabled');
    expect((await h.ledger.events(rec.groupId)).filter((e) => e.type === 'generation-enabled' || e.type === 'generation-retention-exempted').map((e) => [e.type, e.generation]))
      .toEqual([['generation-retention-exempted', 3], ['generation-enabled', 3]]);
    // Refused: a generation that does not exist.
    await expect(enableRetiredGeneration(depsOf(h), 'alias/telemetry', 99)).rejects.toThrow(/no generation 99/);
    expect(currentGeneration(after)!.n).toBe(12);
    expect(h.log.errors().filter((l) => l.message !== 'step enable-generation failed')).toEqual([]);
  });

  test('deleteAfter: disabled once retired long enough and quiet, deletion scheduled after the quiet period disabled; a generation still decrypted is left alone until it goes quiet', async () => {
    await h.deploy(f, { ...MONTHLY, Retention: DELETE_AFTER });
    // Data under generation 1, read twice a month (every 14-17 days, within the quiet period) until the 6th month.
    const ciphertext = await h.encrypt('alias/telemetry', 'old data');
    for (let i = 1; i <= 10; i++) {
      if (i <= 6) expect(await h.decrypt(ciphertext)).toBe('old data');
      await rotateAtDueDate(h, f);
      await checkGenerations(h, await h.group());
      h.sim.clock.set(new Date(Date.parse((await h.group()).nextDueAt!) - 14 * MS_PER_DAY));
      if (i <= 6) expect(await h.decrypt(ciphertext)).toBe('old data');
      await idleRunMidMonth(h, f);
      const rec = await h.group();
      const states = await checkGenerations(h, rec);
      const g1 = rec.generations.find((g) => g.n === 1)!;
      if (i <= 6) expect(g1.disabledAt).toBeUndefined();
      // Generations 2..i-1 (retired more than a month, not the previous one, never used since) are disabled or pending deletion.
      for (const [n, s] of states) if (n >= 2 && n <= i - 1) expect([n, s]).not.toEqual([n, 'Enabled']);
    }
    const rec = await h.group();
    const byN = new Map(rec.generations.map((g) => [g.n, g]));
    // Generation 1 went quiet after rotation 6: disabled, then scheduled for deletion.
    expect(byN.get(1)!.deletionScheduledAt).toBeDefined();
    expect(Date.parse(byN.get(1)!.disabledAt!)).toBeGreaterThanOrEqual(Date.parse(byN.get(1)!.lastUsedAt!) + QUIET_DAYS * MS_PER_DAY);
    // Pending deletion, or deleted once the 7-day pending window passed.
    for (const n of [2, 3, 4, 5, 6, 7, 8]) expect([n, ['PendingDeletion', 'Deleted'].includes(await keyState(h, byN.get(n)!.keyId))]).toEqual([n, true]);
    for (const n of [10, 11]) expect([n, await keyState(h, byN.get(n)!.keyId)]).toEqual([n, 'Enabled']);
    const events = await h.ledger.events(rec.groupId);
    expect(events.some((e) => e.type === 'generation-use-observed' && e.generation === 1)).toBe(true);
    for (const g of rec.generations.filter((x) => x.deletionScheduledAt)) {
      // Disabled first, for at least the quiet period, before the deletion was scheduled.
      expect(Date.parse(g.deletionScheduledAt!) - Date.parse(g.disabledAt!)).toBeGreaterThanOrEqual(QUIET_DAYS * MS_PER_DAY);
      expect(events.filter((e) => e.generation === g.n).map((e) => e.type)).toEqual(expect.arrayContaining(['generation-disabled', 'generation-deletion-scheduled']));
    }
    expect(h.log.errors()).toEqual([]);
  });

  test('a policy change on stack update applies at the next scheduled run, not during the update', async () => {
    await h.deploy(f, MONTHLY);
    for (let i = 0; i < 4; i++) await rotateAtDueDate(h, f);
    const before = await h.group();
    const props = groupProps(MONTHLY);
    await f.lifecycle(cfnEvent('Update', { ...props, Retention: JSON.stringify({ policy: 'keep-latest', count: 1 }) }, { OldResourceProperties: props }));
    const updated = await h.group();
    expect(retentionOf(updated.settings)).toEqual({ policy: 'keep-latest', count: 1 });
    expect((await checkGenerations(h, updated)).map(([, s]) => s)).toEqual(Array(5).fill('Enabled'));
    const events = await h.ledger.events(before.groupId);
    expect(events.filter((e) => e.type === 'settings-updated').at(-1)?.detail).toEqual({ changed: ['retention'] });
    h.sim.clock.advance(10 * 60_000);
    const o = await f.rotation(rotateIfDue());
    expect(o).toMatchObject({ outcome: 'not-due', retention: { disabled: [1, 2, 3] } });
    expect((await checkGenerations(h, await h.group())).map(([, s]) => s)).toEqual(['Disabled', 'Disabled', 'Disabled', 'Enabled', 'Enabled']);
    // A later stack update applies its settings to disabled generations too, and leaves them disabled.
    const described = { ...props, Retention: JSON.stringify({ policy: 'keep-latest', count: 1 }), Description: 'updated' };
    await f.lifecycle(cfnEvent('Update', described, { OldResourceProperties: props }));
    const rec = await h.group();
    expect(rec.generations.map((g) => h.sim.state.key(g.keyId)!.description)).toEqual(Array(5).fill('updated'));
    expect((await checkGenerations(h, rec)).map(([, s]) => s)).toEqual(['Disabled', 'Disabled', 'Disabled', 'Enabled', 'Enabled']);
    // Nothing more is due: the next run takes no lock and calls no DisableKey.
    const writes = h.sim.calls.writes();
    h.sim.clock.advance(10 * 60_000);
    expect(await f.rotation(rotateIfDue())).toMatchObject({ outcome: 'not-due' });
    expect(h.sim.calls.writes()).toBe(writes);
  });

  test('a ledger written before retention existed reads as keepAll', () => {
    const rec = {
      groupId: 'g',
      version: 3,
      status: 'active',
      createdAt: '',
      updatedAt: '',
      settings: { aliasName: 'alias/x' },
      generations: [1, 2, 3].map((n) => ({ n, stage: n === 3 ? 'current' : 'retired', fencedAt: '2026-01-01T00:00:00Z', retiredAt: '2026-01-01T00:00:00Z' })),
    } as unknown as GroupRecord;
    expect(retentionOf(rec.settings)).toEqual({ policy: 'keep-all' });
    expect(retentionWork(rec, new Date('2030-01-01T00:00:00Z'))).toEqual([]);
  });
});
