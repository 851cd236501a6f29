/**
 * KMS staleness far beyond seconds (AWS: "usually within seconds, sometimes
 * minutes"): every lagged read shows the state of exactly 60 s or 5 minutes
 * ago, and every new key is not found for exactly as long (the simulator's
 * consistency mode with `exact`). A Create and a Delete wait it out within the
 * lifecycle function's time; a scheduled rotation waits within a run or ends
 * the run cleanly (phase kept, a warning, no failure metric) and a later run
 * goes on. Only a rotation overdue by the documented grace reaches the overdue
 * alarm's threshold.
 */
import { parseEmf } from './emf-capture';
import { cfnEvent, groupProps } from './fixtures';
import { Functions, Harness } from './harness';
import { generationAlias } from '../../lambda/rotation/aliases';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { OVERDUE_DAYS } from '../../lib/private/group-alarms';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** The functions' time-outs (lib/rotation-services.ts). */
const LIFECYCLE_TIMEOUT_MS = 10 * MINUTE;
const ROTATION_TIMEOUT_MS = 15 * MINUTE;

describe.each([
  ['60 s', MINUTE],
  ['5 minutes', 5 * MINUTE],
])('with KMS reads exactly %s stale', (_name, staleMs) => {
  let h: Harness;
  let lifecycle: Functions;
  let rotation: Functions;
  beforeEach(async () => {
    h = await Harness.start({ consistency: { seed: 1, readLagMs: staleMs, newKeyNotFoundMs: staleMs, exact: true } });
    lifecycle = h.functions({ remainingMs: LIFECYCLE_TIMEOUT_MS });
    rotation = h.functions({ remainingMs: ROTATION_TIMEOUT_MS });
  });
  afterEach(async () => h.stop());

  const emf = () => h.emf.map(parseEmf).map((r) => r.values as Record<string, number>);

  test('a Create waits within the lifecycle function\'s time and succeeds', async () => {
    const started = h.sim.clock.now().getTime();
    const r = await h.deploy(lifecycle);
    expect(r.Data?.Generation).toBe('1');
    // It did wait for KMS (at least the new key's staleness), and within the function's time.
    const took = h.sim.clock.now().getTime() - started;
    expect(took).toBeGreaterThanOrEqual(staleMs);
    expect(took).toBeLessThan(LIFECYCLE_TIMEOUT_MS);
    const rec = await h.group();
    expect(rec.status).toBe('active');
    expect(h.aliasTarget('alias/telemetry')).toBe(currentGeneration(rec)!.keyId);
    expect(h.sim.consistency.newKeyNotFound).toBeGreaterThan(0);
    expect(h.log.errors()).toEqual([]);
  });

  test('a scheduled rotation finishes every phase with no failure and no overdue signal', async () => {
    await h.deploy(lifecycle);
    h.advanceToScheduleHour(181);
    const outcomes = await h.runSchedule(rotation, 3 * HOUR);
    const rec = await h.group();
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'current']);
    expect(rec.rotation).toBeUndefined();
    expect(h.aliasTarget('alias/telemetry')).toBe(rec.generations[1].keyId);
    expect(outcomes.map((o) => o.outcome)).toEqual(expect.arrayContaining(['started', 'promoted', 'completed']));
    expect(h.log.errors()).toEqual([]);
    expect(emf().map((v) => v.RotationFailed)).not.toContain(1);
    expect(Math.min(...emf().map((v) => v.DaysUntilDue))).toBeGreaterThan(-OVERDUE_DAYS);
  });

  test('a run with too little time for the staleness ends cleanly; the next run continues the phase', async () => {
    await h.deploy(lifecycle);
    h.advanceToScheduleHour(181);
    // A run with 75 s left (say it waited for its quota first): the new key is not found within it.
    const short = h.functions({ remainingMs: 75 * SECOND });
    h.sim.clock.advance(10 * MINUTE);
    const first = await short.rotation({ action: 'rotate-if-due', aliasName: 'alias/telemetry', groupId: 'telemetry-group' });
    expect(first).toMatchObject({ outcome: 'started', stale: true, phase: 'create' });
    let rec = await h.group();
    // The key is recorded, the phase kept, the lock released.
    expect(rec.rotation).toMatchObject({ n: 2, phase: 'create' });
    expect(rec.generations.map((g) => g.n)).toEqual([1, 2]);
    expect(rec.lock).toBeUndefined();
    expect(h.log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toContain('KMS still answers from before this rotation\'s writes; the next scheduled run continues');
    expect(h.log.errors()).toEqual([]);
    expect(emf().map((v) => v.RotationFailed)).toEqual([0]);
    const outcomes: RotationOutcome[] = await h.runSchedule(rotation, 2 * HOUR);
    rec = await h.group();
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'current']);
    // No second key was made for generation 2.
    expect(h.groupKeys('telemetry-group')).toHaveLength(2);
    expect(h.aliasTarget(generationAlias('telemetry-group', 2))).toBe(rec.generations[1].keyId);
    expect(outcomes.map((o) => o.outcome)).toContain('completed');
    expect(h.log.errors()).toEqual([]);
    expect(emf().map((v) => v.RotationFailed)).not.toContain(1);
  });

  test('a Delete with DESTROY right after a rotation leaves no key enabled and no alias', async () => {
    await h.deploy(lifecycle, { RemovalPolicy: 'destroy' });
    h.advanceToScheduleHour(181);
    await h.runSchedule(rotation, 3 * HOUR);
    expect((await h.group()).generations).toHaveLength(2);
    h.sim.clock.advance(SECOND);
    await lifecycle.lifecycle(cfnEvent('Delete', groupProps({ RemovalPolicy: 'destroy' })));
    expect(h.groupKeys('telemetry-group').filter((k) => k.state !== 'PendingDeletion')).toEqual([]);
    expect(h.sim.state.aliases().filter((a) => a.AliasName.includes('telemetry'))).toEqual([]);
    expect(h.log.errors()).toEqual([]);
  });
});

describe('staleness that outlasts every run', () => {
  test('ends each run cleanly, reaches the overdue alarm\'s threshold only past the documented grace, and finishes once KMS caught up', async () => {
    const consistency = { seed: 1, readLagMs: MINUTE, newKeyNotFoundMs: MINUTE, exact: true };
    const h = await Harness.start({ consistency });
    try {
      await h.deploy(h.functions({ remainingMs: LIFECYCLE_TIMEOUT_MS }));
      // From now on, a new key stays unfound for 26 hours: longer than any run, and past the overdue grace.
      const staleMs = 26 * HOUR;
      Object.assign(consistency, { newKeyNotFoundMs: staleMs });
      const f = h.functions({ remainingMs: ROTATION_TIMEOUT_MS });
      h.advanceToScheduleHour(181);
      const due = Date.parse((await h.group()).nextDueAt!);
      const outcomes: RotationOutcome[] = [];
      for (let i = 0; i < 8 && ((await h.group()).generations.length < 2 || (await h.group()).rotation); i++) {
        outcomes.push(...await h.runSchedule(f, 6 * HOUR));
      }
      const rec = await h.group();
      expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'current']);
      // Runs that met the staleness ended cleanly, each a warning; none failed.
      expect(outcomes.filter((o) => o.stale).length).toBeGreaterThan(10);
      expect(h.log.errors()).toEqual([]);
      const values = h.emf.map(parseEmf).map((r) => r.values as Record<string, number>);
      expect(values.map((v) => v.RotationFailed)).not.toContain(1);
      // The gauge the overdue alarm watches crosses its threshold only once the grace has passed, and recovers.
      const days = values.map((v) => v.DaysUntilDue);
      const firstOverdue = days.findIndex((v) => v < -OVERDUE_DAYS);
      expect(firstOverdue).toBeGreaterThan(0);
      expect(days.slice(0, firstOverdue).every((v) => v >= -OVERDUE_DAYS)).toBe(true);
      expect(days[days.length - 1]).toBeGreaterThan(100);
      // Only the new key's staleness held it up: generation 2 was made at the first due run.
      expect(Date.parse(rec.generations[1].kmsCreationDate) - due).toBeLessThan(HOUR);
    } finally {
      await h.stop();
    }
  });
});
