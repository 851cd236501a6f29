/**
 * Answers that tell the truth (issue 20, item 6): what rotate-now says right
 * after a promotion, under stale reads; and how long a rotation run that died
 * holds a stack update out (its lease, renewed while a live run works), with
 * the time the update can be retried in the error. Simulated time throughout.
 */
import { CallBudget } from './dying';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { describeOutcome } from '../../lambda/cli/rotate-now-command';
import { ROTATION_LEASE_MS } from '../../lambda/rotation/context';

const SECONDS = 1000;
const MINUTES = 60_000;

describe.each([5, 6])('rotate-now seconds after a promotion (stale reads, seed %i)', (seed) => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start({ consistency: { seed, readLagMs: 2 * SECONDS, newKeyNotFoundMs: 3 * SECONDS } });
    f = h.functions();
    await h.deploy(f);
    // A scheduled-looking rotation: started, then promoted by the schedule.
    await f.rotation(rotateNow());
    for (let i = 0; i < 6 && (await h.group()).rotation?.phase !== 'fence'; i++) await h.runSchedule(f, 10 * MINUTES);
    expect((await h.group()).rotation?.phase).toBe('fence');
    h.sim.clock.advance(5 * SECONDS);
  });
  afterEach(async () => h.stop());

  test('answers queued with the time it starts (the fence), and starts no earlier', async () => {
    const fenceAt = (await h.group()).rotation!.notBefore!;
    const r = await f.rotation(rotateNow());
    expect(r).toMatchObject({ outcome: 'queued', generation: 2, phase: 'fence', startsAt: fenceAt });
    expect(describeOutcome(r, 'alias/telemetry')).toContain(`It starts at the first scheduled run (every 10 minutes) after ${fenceAt}, not before.`);
    // The schedule until the fence: no generation 3 yet; the first run after it fences and starts it.
    const runs: string[] = [];
    while (h.sim.clock.now().getTime() + 10 * MINUTES <= Date.parse(fenceAt)) {
      runs.push(...(await h.runSchedule(f, 10 * MINUTES, rotateIfDue())).map((o) => o.outcome));
      expect((await h.group()).generations.map((g) => g.n)).toEqual([1, 2]);
    }
    await h.runSchedule(f, 10 * MINUTES, rotateIfDue());
    const rec = await h.group();
    expect(rec.generations.map((g) => g.n)).toEqual([1, 2, 3]);
    expect(rec.rotation).toMatchObject({ n: 3, reason: 'emergency' });
    expect(h.log.errors()).toEqual([]);
  });

  test('queued while another run holds the group: the same time, not "within 10 minutes"', async () => {
    const fenceAt = (await h.group()).rotation!.notBefore!;
    const until = new Date(h.sim.clock.now().getTime() + 2 * MINUTES).toISOString();
    await h.editLedger('telemetry-group', (x) => ({ ...x, lock: { owner: 'another-run', purpose: 'maintenance', until } }));
    const r = await f.rotation(rotateNow());
    expect(r).toMatchObject({ outcome: 'queued', busy: true, phase: 'fence', startsAt: fenceAt });
    const text = describeOutcome(r, 'alias/telemetry');
    expect(text).toContain(`after ${fenceAt}, not before`);
    expect(text).not.toContain('within 10 minutes');
  });
});

/** The rotation and lifecycle functions with their deployed timeouts (15 and 10 minutes) as Lambda's remaining time. */
const ROTATION_TIMEOUT_MS = 15 * MINUTES;
const LIFECYCLE_TIMEOUT_MS = 10 * MINUTES;

describe('a stack update after a rotation run that died', () => {
  let h: Harness;
  beforeEach(async () => { h = await Harness.start(); });
  afterEach(async () => h.stop());

  /** Deploys groups until a rotate-now that dies after `k` calls leaves its lock behind; returns that group. */
  async function groupLockedByADeadRun(): Promise<{ groupId: string; aliasName: string; lockedAt: number }> {
    for (let k = 1; k < 40; k++) {
      const groupId = `dead-${k}`;
      const aliasName = `alias/dead-${k}`;
      await h.deploy(h.functions(), { GroupId: groupId, AliasName: aliasName });
      const lockedAt = h.sim.clock.now().getTime();
      const dying = h.functions({ budget: new CallBudget(k), maxAttempts: 1, remainingMs: ROTATION_TIMEOUT_MS });
      await expect(dying.rotation(rotateNow(aliasName, groupId))).rejects.toThrow('the function died');
      if ((await h.group(groupId)).lock) return { groupId, aliasName, lockedAt };
    }
    throw new Error('no dying run left its lock');
  }

  const update = (f: Functions, groupId: string, aliasName: string) => f.lifecycle(cfnEvent(
    'Update', groupProps({ GroupId: groupId, AliasName: aliasName, Description: 'v2' }),
    { OldResourceProperties: groupProps({ GroupId: groupId, AliasName: aliasName }) },
  ));

  test('a minute later: the update waits out the dead run\'s lease (at most a renewable lease) and succeeds', async () => {
    const { groupId, aliasName, lockedAt } = await groupLockedByADeadRun();
    const lock = (await h.group(groupId)).lock!;
    // The dead run's lock holds for a lease, not for the function's whole timeout plus a minute.
    expect(Date.parse(lock.until) - lockedAt).toBeLessThanOrEqual(ROTATION_LEASE_MS);
    h.sim.clock.advance(1 * MINUTES);
    const before = h.sim.clock.now().getTime();
    const r = await update(h.functions({ remainingMs: LIFECYCLE_TIMEOUT_MS }), groupId, aliasName);
    expect(r.PhysicalResourceId).toBe(groupId);
    const waited = h.sim.clock.now().getTime() - before;
    expect(waited).toBeLessThanOrEqual(ROTATION_LEASE_MS);
    expect(h.sim.clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse(lock.until));
    expect(h.sim.state.key((await h.group(groupId)).generations[0].keyId)!.description).toBe('v2');
  });

  test('an update that cannot wait long enough says when it can be retried', async () => {
    const { groupId, aliasName } = await groupLockedByADeadRun();
    const { until } = (await h.group(groupId)).lock!;
    // A lifecycle run with little time left: it cannot wait for the lease to end.
    const failed = await update(h.functions({ remainingMs: 2 * MINUTES }), groupId, aliasName).then(() => undefined, (e: Error) => e);
    expect(failed).toMatchObject({ name: 'GroupBusyError', retryAfter: until });
    expect(failed!.message).toContain(`its lock holds until ${until}: retry at ${until} or later`);
  });
});

describe('a live rotation run that works longer than a lease', () => {
  test('keeps its lock through every wait (the waits renew it); a stack update meanwhile is held out', async () => {
    const h = await Harness.start();
    try {
      await h.deploy(h.functions());
      // The account's GetParametersForImport quota is spent by others: the import waits as long as the run may.
      h.sim.faults.throttle('GetParametersForImport', 'always');
      const sleep = h.sleep.bind(h);
      let waits = 0;
      const started = h.sim.clock.now().getTime();
      const uncovered: string[] = [];
      const busy: unknown[] = [];
      // An update that cannot wait (its function has 90 s left), tried once 8 minutes into the run.
      const impatient = h.functions({ remainingMs: 90_000 });
      h.sleep = async (ms: number) => {
        const rec = await h.ledger.get('telemetry-group');
        const now = h.sim.clock.now().getTime();
        waits += 1;
        // The lock is this run's and holds past the wait it is about to make.
        if (!rec?.lock || Date.parse(rec.lock.until) < now + ms) uncovered.push(`${new Date(now).toISOString()} ${rec?.lock?.until ?? 'no lock'}`);
        if (busy.length === 0 && now - started > 8 * MINUTES) {
          busy.push(await impatient.lifecycle(cfnEvent('Update', groupProps({ Description: 'v2' }), { OldResourceProperties: groupProps() })).then(() => 'updated', (e: Error) => e.name));
        }
        return sleep(ms);
      };
      const r = await h.functions({ remainingMs: ROTATION_TIMEOUT_MS }).rotation(rotateNow());
      h.sleep = sleep;
      expect(r).toMatchObject({ outcome: 'started', throttled: true });
      const worked = h.sim.clock.now().getTime() - started;
      expect(worked).toBeGreaterThan(12 * MINUTES);
      expect(worked).toBeGreaterThan(2 * ROTATION_LEASE_MS);
      expect(waits).toBeGreaterThan(100);
      expect(uncovered).toEqual([]);
      expect(busy).toEqual(['GroupBusyError']);
      // Released at the end; the phase resumes at a later run once the quota is back.
      expect((await h.group()).lock).toBeUndefined();
      expect((await h.group()).rotation).toMatchObject({ n: 2, phase: 'import' });
    } finally {
      await h.stop();
    }
  });
});
