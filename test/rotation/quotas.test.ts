/**
 * KMS's request quotas (real time, per account; GetParametersForImport 1/s):
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

describe('ten key groups under the account\'s request quotas', () => {
  let h: Harness;
  // Every quota four times the default, so the test takes seconds: the contention is the same, only faster.
  beforeAll(async () => { h = await Harness.start({ quotas: 'default', quotaScale: 4 }); });
  afterAll(async () => h.stop());

  test('deployed at once: all succeed, with throttled calls retried', async () => {
    const results = await Promise.all(GROUPS.map((g) => h.deploy(h.functions({ maxAttempts: 12 }), { GroupId: g.groupId, AliasName: g.aliasName })));
    expect(results.map((r) => r.Data?.Generation)).toEqual(Array(10).fill('1'));
    expect(h.sim.quotas.throttled('GetParametersForImport')).toBeGreaterThan(0);
  });

  test('rotating at once: GetParametersForImport queues for as long as the run has time, so every run makes its generation', async () => {
    // Two attempts per call: the SDK gives up on a throttled call at once; the import phase keeps asking.
    const f = h.functions({ maxAttempts: 2 });
    const throttledBefore = h.sim.quotas.throttled('GetParametersForImport');
    const first = await Promise.all(GROUPS.map((g) => f.rotation(rotateNow(g.aliasName, g.groupId))));
    expect(first.map((o) => [o.outcome, o.phasesDone.join(','), !!o.throttled])).toEqual(Array(10).fill(['started', 'create,import,test', false]));
    expect(h.sim.quotas.throttled('GetParametersForImport')).toBeGreaterThan(throttledBefore);
    await h.runSchedule(f, 3_600_000, undefined, undefined, GROUPS.map((g) => rotateIfDue(g.aliasName, g.groupId)));
  });

  test('rotating at once with little time left: the throttled runs stop cleanly and later runs finish every rotation', async () => {
    // A minute and a second left per run: after a second of queueing, a run leaves its import to the next one.
    const impatient = h.functions({ maxAttempts: 2, remainingMs: 61_000 });
    const first = await Promise.all(GROUPS.map((g) => impatient.rotation(rotateNow(g.aliasName, g.groupId))));
    expect(first.filter((o) => o.throttled).length).toBeGreaterThan(0);
    expect(first.every((o) => o.outcome === 'started')).toBe(true);
    expect(h.log.errors()).toEqual([]);
    // The schedule goes on (one run per group every 10 minutes, the groups of a run in parallel).
    for (let t = 0; t < 2 * HOUR; t += 600_000) {
      h.sim.clock.advance(600_000);
      await Promise.all(GROUPS.map((g) => impatient.rotation(rotateIfDue(g.aliasName, g.groupId))));
    }
    for (const g of GROUPS) {
      const rec = await h.group(g.groupId);
      const expected = [[1, 'retired', true], [2, 'retired', true], [3, 'current', false]];
      expect([g.groupId, rec.rotation, rec.generations.map((x) => [x.n, x.stage, !!x.fencedAt])]).toEqual([g.groupId, undefined, expected]);
      expect(h.groupKeys(g.groupId)).toHaveLength(3);
      expect(h.aliasTarget(g.aliasName)).toBe(currentGeneration(rec)!.keyId);
    }
    expect(h.log.errors()).toEqual([]);
  });
});
