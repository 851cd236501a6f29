/**
 * Safe expiry: material from a provider function expires after 90 days and
 * the rotation function imports the same material again before it does, for
 * every generation the group keeps enabled. Runs through the real clients,
 * with exactly the synthesized policies, against the simulator's clock (which
 * deletes expired material as KMS does). The expiry alarm is evaluated on the
 * metrics the runs wrote, with the threshold the stack synthesized.
 */
import { DeployedStack } from './deployed-stack';
import { parseEmf } from './emf-capture';
import { cfnEvent, rotateIfDue } from './fixtures';
import { Functions, Harness } from './harness';
import { LambdaEndpoint } from './lambda-endpoint';
import { providerStack, ProviderWorld, startProviderWorld } from './provider-world';
import { ReferenceHsmProvider } from './reference-hsm-provider';
import { reportFailed, reportGroup } from '../../lambda/report';
import { GroupRecord, liveGenerations } from '../../lambda/rotation/ledger-model';
import { reimportWork } from '../../lambda/rotation/reimport';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { MaterialExpiration } from '../../lib';
import { MS_PER_DAY } from '../kms-simulator';

const GROUP = 'telemetry-group';
const ALIAS = 'alias/telemetry';
const VALIDITY_DAYS = 90;

interface Run {
  readonly at: Date;
  readonly outcome?: RotationOutcome;
  readonly error?: Error;
  /** What the run wrote as DaysUntilMaterialExpiry and RotationFailed. */
  readonly daysUntilExpiry?: number;
  readonly failed?: number;
}

/** The expiry alarm as synthesized: Minimum over an hour <= threshold, one period. */
function expiryAlarmThreshold(stack: DeployedStack): number {
  const alarms = Object.values(stack.template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'DaysUntilMaterialExpiry');
  expect(alarms).toHaveLength(1);
  expect(alarms[0].Properties).toMatchObject({ Statistic: 'Minimum', ComparisonOperator: 'LessThanOrEqualToThreshold', EvaluationPeriods: 1 });
  return alarms[0].Properties.Threshold as number;
}

describe('safe expiry with a material provider', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let hsm: ReferenceHsmProvider;
  let endpoint: LambdaEndpoint;
  let world: ProviderWorld;
  beforeAll(() => {
    stack = providerStack(() => ({ materialExpiration: MaterialExpiration.afterDays(VALIDITY_DAYS) }));
  });
  beforeEach(async () => {
    world = await startProviderWorld(stack);
    ({ h, f, hsm, endpoint } = world);
  });
  afterEach(async () => {
    await world.stop();
  });

  /** One scheduled run at `at`, with the metrics it wrote. */
  async function runAt(at: Date): Promise<Run> {
    h.sim.clock.set(at);
    const before = h.emf.length;
    const result = await f.rotation(rotateIfDue()).then((outcome) => ({ outcome }), (error: Error) => ({ error }));
    const written = h.emf.slice(before).map(parseEmf).find((m) => m.values.KeyGroup === GROUP);
    return {
      at,
      ...result,
      daysUntilExpiry: written?.values.DaysUntilMaterialExpiry as number | undefined,
      failed: written?.values.RotationFailed as number | undefined,
    };
  }

  /**
   * The scheduled runs on each day something can happen: 03:05, 03:15 and
   * 03:25 while a rotation is under way or near its due date (its phases
   * follow each other 10 minutes apart), 03:05 when a re-import is due. The
   * other days' runs would answer not-due, write nothing and report the same
   * gauges a little higher, so they are skipped.
   */
  async function days(from: Date, count: number, each?: (day: number, rec: GroupRecord) => Promise<void>): Promise<Run[]> {
    const runs: Run[] = [];
    for (let day = 0; day < count; day++) {
      const dayStart = new Date(from.getTime() + day * MS_PER_DAY);
      const firstRun = new Date(dayStart.getTime() + (3 * 60 + 5) * 60_000);
      const rec = await h.group(GROUP);
      const nearDue = rec.nextDueAt !== undefined && Math.abs(firstRun.getTime() - Date.parse(rec.nextDueAt)) <= 2 * MS_PER_DAY;
      const minutes = nearDue || rec.rotation !== undefined ? [5, 15, 25] : reimportWork(rec, firstRun).length > 0 ? [5] : [];
      for (const minute of minutes) runs.push(await runAt(new Date(dayStart.getTime() + (3 * 60 + minute) * 60_000)));
      await each?.(day, await h.group(GROUP));
    }
    return runs;
  }

  /** Every generation the group keeps enabled has its material in KMS (none is PendingImport). */
  function unusable(rec: GroupRecord): number[] {
    return liveGenerations(rec).filter((g) => g.disabledAt === undefined && h.sim.state.key(g.keyId)?.state !== 'Enabled').map((g) => g.n);
  }

  test('two years of 6-monthly rotations with 90-day validity: every generation is re-imported in time, nothing expires, every ciphertext decrypts', async () => {
    const threshold = expiryAlarmThreshold(stack);
    expect(threshold).toBe(30);
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const kept: Array<{ ciphertext: Uint8Array; plaintext: string }> = [];
    const problems: string[] = [];
    const start = new Date(Date.UTC(2026, 0, 2));
    const runs = await days(start, 730, async (day, rec) => {
      for (const n of unusable(rec)) problems.push(`day ${day}: generation ${n} is ${h.sim.state.key(rec.generations.find((g) => g.n === n)!.keyId)?.state}`);
      if (day % 30 === 0) kept.push({ plaintext: `reading ${day}`, ciphertext: await h.encrypt(ALIAS, `reading ${day}`) });
    });
    expect(problems).toEqual([]);
    expect(runs.filter((r) => r.error).map((r) => r.error!.message)).toEqual([]);

    const rec = await h.group(GROUP);
    // Generation 1 plus four rotations in two years; every generation is still enabled (keep-all) and decrypts.
    expect(rec.generations.map((g) => [g.n, g.stage])).toEqual([[1, 'retired'], [2, 'retired'], [3, 'retired'], [4, 'retired'], [5, 'current']]);
    for (const k of kept) expect(await h.decrypt(k.ciphertext, h.sim.clientFor(stack.reader.accessKeyId, { maxAttempts: 1 }))).toBe(k.plaintext);

    // Each re-import came when fewer than 60 days were left (twice the alarm's 30), so the alarm never fired.
    const reimports = (await h.ledger.events(GROUP)).filter((e) => e.type === 'material-reimported');
    expect(reimports.length).toBeGreaterThanOrEqual(20);
    // Every generation imported more than 30 days before the end (90 days of validity less the 60-day lead) was re-imported.
    const oldEnough = rec.generations.filter((g) => Date.parse(g.importedAt!) < h.sim.clock.now().getTime() - 30 * MS_PER_DAY).map((g) => g.n);
    expect(oldEnough).toEqual([1, 2, 3, 4]);
    expect(new Set(reimports.map((e) => e.generation))).toEqual(new Set(oldEnough));
    expect(reimports.every((e) => e.reason === 'reimport')).toBe(true);
    const written = runs.map((r) => r.daysUntilExpiry).filter((v): v is number => v !== undefined);
    expect(written.length).toBe(runs.length);
    expect(Math.min(...written)).toBeGreaterThan(threshold);
    // Each re-import came on the first day fewer than 60 days were left of the validity it replaced.
    const events = await h.ledger.events(GROUP);
    const leftAtReimport = reimports.map((e) => {
      const previous = events.filter((x) => x.generation === e.generation && x.seq < e.seq && (x.type === 'material-imported' || x.type === 'material-reimported')).at(-1)!;
      return (Date.parse(String(previous.detail!.materialValidTo)) - Date.parse(e.at)) / MS_PER_DAY;
    });
    expect(leftAtReimport.filter((d) => d > 60 || d <= 59)).toEqual([]);

    // The provider was asked for the same material by id, by the rotation role its policy allows.
    const asked = hsm.requests.filter((r) => r.purpose === 'reimport');
    expect(asked.length).toBe(reimports.length);
    for (const r of asked) expect(r.keyMaterialId).toBe(rec.generations.find((g) => g.n === r.generation)!.keyMaterialId);
    expect(endpoint.invocations.filter((i) => !i.allowed)).toEqual([]);

    // KMS holds each generation's material with a validity from its last re-import.
    for (const g of rec.generations) {
      const key = h.sim.state.key(g.keyId)!;
      expect(key.state).toBe('Enabled');
      expect(Date.parse(g.materialValidTo!)).toBeGreaterThan(h.sim.clock.now().getTime() + threshold * MS_PER_DAY);
    }
    const report = await reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: ALIAS, now: h.sim.clock.now() });
    expect(report.findings.filter((x) => x.severity !== 'info')).toEqual([]);
    expect(report.generations.map((g) => g.materialReimport)).toEqual(['automatic', 'automatic', 'automatic', 'automatic', 'automatic']);
  });

  test('a provider that stops answering: every run fails, the expiry alarm fires before any material expires, the report says which; the provider back restores even expired material', async () => {
    const threshold = expiryAlarmThreshold(stack);
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const proof = await h.encrypt(ALIAS, 'written before the outage');
    hsm.misbehave = 'error';
    const runs = await days(new Date(Date.UTC(2026, 0, 2)), 93);
    const expiresAt = Date.parse((await h.group(GROUP)).generations[0].materialValidTo!);

    // From the first re-import on, every run counts as failed (the failure alarm) and still writes the expiry gauge.
    const due = runs.filter((r) => r.at.getTime() >= expiresAt - 60 * MS_PER_DAY);
    expect(due.length).toBeGreaterThan(0);
    expect(due.map((r) => [r.error?.message, r.failed])).toEqual(due.map(() => [undefined, 1]));
    expect(due.every((r) => r.daysUntilExpiry !== undefined)).toBe(true);
    expect(due[0].outcome?.reimport?.failed).toEqual([{ n: 1, error: expect.stringMatching(/^MaterialProviderError: material provider .* failed \(FunctionError Unhandled\): HsmUnavailable: HSM partition is offline/) }]);
    expect(h.log.errors().filter((l) => l.message === 'step reimport failed').length).toBe(due.length);

    // The alarm's first breaching run came at least 29 days before the material expired, and nothing had expired then.
    const firing = runs.find((r) => r.daysUntilExpiry !== undefined && r.daysUntilExpiry <= threshold)!;
    expect(firing).toBeDefined();
    expect(expiresAt - firing.at.getTime()).toBeGreaterThan((threshold - 1) * MS_PER_DAY);
    expect(runs.filter((r) => r.at.getTime() < expiresAt).every((r) => r.daysUntilExpiry! > 0)).toBe(true);

    // After expiry: the key is PendingImport, the gauge is negative (the alarm stays on), the report fails naming the generation.
    const rec = await h.group(GROUP);
    expect(h.sim.state.key(rec.generations[0].keyId)?.state).toBe('PendingImport');
    expect(runs.at(-1)!.daysUntilExpiry).toBeLessThan(0);
    const report = await reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: ALIAS, now: h.sim.clock.now() });
    expect(reportFailed(report)).toBe(true);
    expect(report.findings.filter((x) => x.code === 'material-expired').map((x) => x.message)).toEqual([
      expect.stringMatching(/^generation 1's key material expired at .*: the generation cannot decrypt until the rotation function re-imports it from the material provider/),
    ]);

    // The provider answers again: the next run imports the same material, and the old ciphertext decrypts.
    hsm.misbehave = 'none';
    const back = await runAt(new Date(h.sim.clock.now().getTime() + 10 * 60_000));
    expect(back.outcome?.reimport).toEqual({ reimported: [1], failed: [] });
    expect(back.failed).toBe(0);
    expect(h.sim.state.key(rec.generations[0].keyId)?.state).toBe('Enabled');
    expect(await h.decrypt(proof, h.sim.clientFor(stack.reader.accessKeyId, { maxAttempts: 1 }))).toBe('written before the outage');
    expect(back.daysUntilExpiry).toBeGreaterThan(VALIDITY_DAYS - 1);
  });

  test('a provider that answers other material for a re-import is refused by KMS; the generation keeps its material and validity', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const before = (await h.group(GROUP)).generations[0];
    hsm.misbehave = 'forgetful';
    const run = await runAt(new Date(Date.parse(before.materialValidTo!) - 50 * MS_PER_DAY));
    expect(run.outcome?.reimport?.failed).toEqual([{
      n: 1,
      error: expect.stringMatching(/^MaterialProviderError: material provider .* answered material KMS refused for the re-import of generation 1 \(IncorrectKeyMaterialException: it is not the material with KeyMaterialId [0-9a-f]{64}/),
    }]);
    const after = (await h.group(GROUP)).generations[0];
    expect(after.materialValidTo).toBe(before.materialValidTo);
    expect(after.reimportedAt).toBeUndefined();
    expect(h.sim.state.key(before.keyId)?.state).toBe('Enabled');
  });

  test('turning expiry off on an update: the next run re-imports every expiring generation without expiry, under the updated policies', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    await h.runSchedule(f, 40 * 60_000);
    const before = await h.group(GROUP);
    expect(before.generations.map((g) => g.materialValidTo === undefined)).toEqual([false, false]);

    const never = providerStack();
    for (const p of [never.lifecycle, never.rotation]) {
      h.sim.authorization.setPrincipal({ accessKeyId: p.accessKeyId, arn: p.arn, policies: p.policies });
    }
    await f.lifecycle(cfnEvent('Update', never.resourceProperties, { OldResourceProperties: stack.resourceProperties }));
    const run = await runAt(new Date(h.sim.clock.now().getTime() + 10 * 60_000));
    expect(run.outcome?.reimport).toEqual({ reimported: [1, 2], failed: [] });
    const after = await h.group(GROUP);
    for (const g of after.generations) {
      expect(g.materialValidTo).toBeUndefined();
      expect(h.sim.state.key(g.keyId)).toMatchObject({ state: 'Enabled' });
      expect(h.sim.state.key(g.keyId)?.validTo).toBeUndefined();
    }
    // Nothing expires any more: no gauge, and the next run has nothing to re-import.
    expect(run.daysUntilExpiry).toBeUndefined();
    expect((await runAt(new Date(h.sim.clock.now().getTime() + 10 * 60_000))).outcome?.reimport).toBeUndefined();
  });
});
