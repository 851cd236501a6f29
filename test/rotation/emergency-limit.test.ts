/**
 * The abuse limit on emergency rotations, through the real SDK clients, the
 * KMS simulator and a local DynamoDB on the simulated clock: one at a time
 * with one queued at most, and `EmergencyRotationsPerDay` (default 3) started
 * in any 24 hours. Keys made are counted from the simulator's CreateKey calls.
 */
import { parseEmf } from './emf-capture';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness, SCHEDULE_PERIOD_MS } from './harness';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { MS_PER_HOUR } from '../kms-simulator';

const WINDOW_MS = 420_000;
const MINUTE = 60_000;
const DAY = 24 * MS_PER_HOUR;

describe('the emergency rotation limit', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());

  const createKeys = () => h.sim.calls.count('CreateKey');
  const refusedLines = () => h.log.lines.filter((l) => l.message === 'emergency rotation refused');
  const refusedMetric = () => parseEmf(h.emf[h.emf.length - 1]).values.EmergencyRotationRefused;

  /** rotate-now, then the schedule until the rotation is fenced. */
  async function emergency(): Promise<RotationOutcome> {
    const o = await f.rotation(rotateNow());
    await h.runSchedule(f, 30 * MINUTE);
    expect((await h.group()).rotation).toBeUndefined();
    return o;
  }

  test('with the default limit the fourth rotate-now within 24 hours is refused, makes no key and writes nothing; after the window one starts', async () => {
    await h.deploy(f);
    h.sim.clock.advance(MS_PER_HOUR);
    const firstAt = h.sim.clock.now().toISOString();
    expect((await emergency()).outcome).toBe('started');
    expect((await emergency()).outcome).toBe('started');
    expect((await emergency()).outcome).toBe('started');
    expect(createKeys()).toBe(4);

    const writes = h.sim.calls.writes();
    const version = (await h.group()).version;
    const refused = await f.rotation(rotateNow());
    const nextAllowedAt = new Date(Date.parse(firstAt) + DAY).toISOString();
    expect(refused).toMatchObject({ outcome: 'refused', generation: 4, refusal: { reason: 'rate-limited', limit: 3, nextAllowedAt } });
    expect(refused.refusal!.message).toContain(`the next one is allowed from ${nextAllowedAt}`);
    expect(createKeys()).toBe(4);
    expect(h.sim.calls.writes()).toBe(writes);
    expect((await h.group()).version).toBe(version);
    // One WARN line, no ERROR (the system is fine), and the refusal counted.
    expect(refusedLines()).toEqual([expect.objectContaining({ level: 'warn', attributes: expect.objectContaining({ group: 'telemetry-group', reason: 'rate-limited', nextAllowedAt }) })]);
    expect(h.log.errors()).toEqual([]);
    expect(refusedMetric()).toBe(1);

    // A minute before the first start leaves the window: still refused.
    h.sim.clock.set(new Date(Date.parse(nextAllowedAt) - MINUTE));
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'refused', refusal: { nextAllowedAt } });
    h.sim.clock.set(new Date(nextAllowedAt));
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'started', generation: 5 });
    expect(refusedMetric()).toBe(0);
    expect(createKeys()).toBe(5);
    // The starts the ledger keeps are the window's only: bounded.
    expect((await h.group()).emergencyStarts).toHaveLength(3);
  });

  test('rotate-now after the alias moved is queued once; the next one is refused; the queued one starts after the fence', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    h.sim.clock.advance(WINDOW_MS + 1000);
    expect((await f.rotation(rotateIfDue())).outcome).toBe('promoted');
    const keys = createKeys();
    const queued = await f.rotation(rotateNow());
    expect(queued).toMatchObject({ outcome: 'queued', generation: 2, phase: 'fence' });
    expect(queued.busy).toBeUndefined();
    expect((await h.group()).rotation?.followUp).toBe('emergency');
    const again = await f.rotation(rotateNow());
    expect(again).toMatchObject({ outcome: 'refused', refusal: { reason: 'already-queued' } });
    expect(again.refusal!.message).toContain('already queued');
    expect(createKeys()).toBe(keys);
    expect(refusedLines()).toHaveLength(1);
    h.sim.clock.advance(WINDOW_MS + 1000);
    const fenced = await f.rotation(rotateIfDue());
    expect(fenced.phasesDone).toEqual(['fence', 'create', 'import', 'test']);
    expect(fenced.generation).toBe(3);
    expect(createKeys()).toBe(keys + 1);
  });

  test('rotate-now while another run holds the group is queued once; the next one is refused', async () => {
    await h.deploy(f);
    const rec = await h.group();
    const until = new Date(h.sim.clock.now().getTime() + 5 * MINUTE).toISOString();
    await h.ledger.write({ ...rec, lock: { owner: 'other-run', until, purpose: 'scheduled rotation' } }, rec, h.sim.clock.now(), { runId: 'other-run' });
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'queued', busy: true });
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'refused', refusal: { reason: 'already-queued' } });
    expect(createKeys()).toBe(1);
    h.sim.clock.advance(SCHEDULE_PERIOD_MS);
    // The next run (a scheduled one) starts the queued emergency.
    expect(await f.rotation(rotateIfDue())).toMatchObject({ outcome: 'started', generation: 2 });
    expect((await h.group()).rotation?.reason).toBe('emergency');
    expect(createKeys()).toBe(2);
  });

  test('scheduled rotations are never limited: with the limit spent a due rotation starts, and rotate-now joins it', async () => {
    await h.deploy(f);
    // Three emergency starts in the last hours, as the ledger records them, and the group due at 03:00.
    h.sim.clock.set(new Date('2026-07-01T02:50:00Z'));
    const rec = await h.group();
    const emergencyStarts = ['2026-07-01T00:00:00.000Z', '2026-07-01T01:00:00.000Z', '2026-07-01T02:00:00.000Z'];
    await h.ledger.write({ ...rec, emergencyStarts }, rec, h.sim.clock.now(), { runId: 'test-edit' });
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'refused', refusal: { reason: 'rate-limited', nextAllowedAt: '2026-07-02T00:00:00.000Z' } });
    // The 03:00 run.
    const [started] = await h.runSchedule(f, SCHEDULE_PERIOD_MS);
    expect(started).toMatchObject({ outcome: 'started', generation: 2 });
    expect((await h.group()).rotation?.reason).toBe('scheduled');
    expect(refusedMetric()).toBe(0);
    // Joining a rotation that has not moved the alias makes no key: allowed at the limit.
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'in-progress', generation: 2 });
    const rest = await h.runSchedule(f, 30 * MINUTE);
    expect(rest.map((o) => o.outcome)).toEqual(expect.arrayContaining(['promoted', 'completed']));
    expect(createKeys()).toBe(2);
    expect((await h.group()).emergencyStarts).toEqual(emergencyStarts);
  });

  test('one rotate-now a minute for 12 hours makes no more keys than the limit', async () => {
    await h.deploy(f);
    const outcomes: RotationOutcome[] = [];
    for (let minute = 1; minute <= 12 * 60; minute++) {
      h.sim.clock.advance(MINUTE);
      outcomes.push(await f.rotation(rotateNow()));
      if (minute % 10 === 0) await f.rotation(rotateIfDue());
    }
    // Generation 1 from the deploy, three emergency rotations.
    expect(createKeys()).toBe(4);
    expect(h.groupKeys('telemetry-group')).toHaveLength(4);
    const refusals = outcomes.filter((o) => o.outcome === 'refused');
    expect(refusals.length).toBeGreaterThan(600);
    expect(refusedLines()).toHaveLength(refusals.length);
    expect(h.log.errors()).toEqual([]);
    const rec = await h.group();
    expect(rec.emergencyStarts).toHaveLength(3);
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'retired', 'retired', 'current']);
  });

  test('an update that lowers the limit applies to the next request', async () => {
    await h.deploy(f);
    await emergency();
    await f.lifecycle(cfnEvent('Update', groupProps({ EmergencyRotationsPerDay: '1' }), { OldResourceProperties: groupProps() }));
    expect((await h.group()).settings.emergencyRotationsPerDay).toBe(1);
    expect(await f.rotation(rotateNow())).toMatchObject({ outcome: 'refused', refusal: { reason: 'rate-limited', limit: 1 } });
    expect(createKeys()).toBe(2);
  });
});
