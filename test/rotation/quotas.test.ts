/**
 * KMS's request quotas (per account; GetParametersForImport 1/s), on the simulated clock, as are the SDK's backoff
 * and the functions' own sleeps, so the outcome does not depend on the machine's speed:
 * ten key groups deployed at once all succeed (the SDK's backoff absorbs the
 * throttling); ten groups rotating in the same run either finish their first
 * phases or stop cleanly where the quota ran out, and the next scheduled run
 * continues; nobody fails into the dead-letter queue, no key is made twice.
 */
import { rotateIfDue, rotateNow } from './fixtures';
import { Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';

const GROUPS = Array.from({ length: 10 }, (_, i) => ({ groupId: `fleet-${i}`, aliasName: `alias/fleet-${i}` }));
const HOUR = 3_600_000;
/** A run's time when the test is not about running out of it (see the first test). */
const UNHURRIED_MS = 24 * HOUR;

describe('ten key groups under the account\'s request quotas', () => {
  let h: Harness;
  let deployed: Array<{ Data?: Record<string, string> }>;
  // The documented default quotas, on the simulated clock (no real second passes for a throttled call's backoff).
  beforeEach(async () => {
    h = await Harness.start({ quotas: 'default' });
    // Ten runs at once share one simulated clock, and each one's backoff sleeps move it for all: give them the
    // time a deployment has in real life rather than let the shared clock eat it.
    const f = h.functions({ maxAttempts: 12, remainingMs: UNHURRIED_MS });
    deployed = await Promise.all(GROUPS.map((g) => h.deploy(f, { GroupId: g.groupId, AliasName: g.aliasName })));
  });
  afterEach(async () => h.stop());

  test('deployed at once: all succeed, with throttled calls retried', () => {
    expect(deployed.map((r) => r.Data?.Generation)).toEqual(Array(10).fill('1'));
    expect(h.sim.quotas.throttled('GetParametersForImport')).toBeGreaterThan(0);
  });

  test('rotating at once: GetParametersForImport queues for as long as the run has time, so every run makes its generation', async () => {
    // Two attempts per call: the SDK gives up on a throttled call at once; the import phase keeps asking.
    const f = h.functions({ maxAttempts: 2, remainingMs: UNHURRIED_MS });
    const throttledBefore = h.sim.quotas.throttled('GetParametersForImport');
    const first = await Promise.all(GROUPS.map((g) => f.rotation(rotateNow(g.aliasName, g.groupId))));
    // (The shared simulated clock can carry a run past the propagation window: then it promotes too.)
    expect(first.map((o) => [o.phasesDone.slice(0, 3).join(','), !!o.throttled])).toEqual(Array(10).fill(['create,import,test', false]));
    expect(h.sim.quotas.throttled('GetParametersForImport')).toBeGreaterThan(throttledBefore);
  });

  test('rotating at once with little time left: the throttled runs stop cleanly and later runs finish every rotation', async () => {
    // A minute and a second left per run: after a second of queueing, a run leaves its import to the next one.
    const impatient = h.functions({ maxAttempts: 2, remainingMs: 61_000 });
    const first = await Promise.all(GROUPS.map((g) => impatient.rotation(rotateNow(g.aliasName, g.groupId))));
    expect(first.filter((o) => o.throttled).length).toBeGreaterThan(0);
    expect(first.every((o) => o.outcome === 'started')).toBe(true);
    expect(h.log.errors()).toEqual([]);
    // The schedule goes on (one run per group every 10 minutes, the groups of a run in parallel), each run with its full time.
    const later = h.functions({ maxAttempts: 2, remainingMs: UNHURRIED_MS });
    await h.runSchedule(later, 2 * HOUR, undefined, undefined, GROUPS.map((g) => rotateIfDue(g.aliasName, g.groupId)));
    for (const g of GROUPS) {
      const rec = await h.group(g.groupId);
      const expected = [[1, 'retired', true], [2, 'current', false]];
      expect([g.groupId, rec.rotation, rec.generations.map((x) => [x.n, x.stage, !!x.fencedAt])]).toEqual([g.groupId, undefined, expected]);
      expect(h.groupKeys(g.groupId)).toHaveLength(2);
      expect(h.aliasTarget(g.aliasName)).toBe(currentGeneration(rec)!.keyId);
    }
    expect(h.log.errors()).toEqual([]);
  });
});
