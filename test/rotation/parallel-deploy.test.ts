/**
 * A stack with 10 key groups deploys them at once (CloudFormation creates the
 * custom resources in parallel, one function invocation each), while KMS allows
 * GetParametersForImport once per second: the SDK's backoff absorbs the
 * throttling and every group ends with generation 1 behind its alias. No
 * reserved concurrency is needed because rotations of one group are serialised
 * by the generation-alias claim, not by the function's concurrency.
 */
import { Harness } from './harness';
import { invariantViolations } from './invariants';

describe('10 key groups deployed at once under GetParametersForImport throttling', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  test('all succeed, with throttled calls retried', async () => {
    h.sim.faults.rateLimit('GetParametersForImport', 1);
    const groups = Array.from({ length: 10 }, (_, i) => ({ groupId: `parallel-${i}`, aliasName: `alias/parallel-${i}`, intervalMonths: 6 }));
    const results = await Promise.all(groups.map((g) => h.deploy(h.handler({ maxAttempts: 12 }), { GroupId: g.groupId, AliasName: g.aliasName })));
    h.sim.faults.clear();

    expect(results.map((r) => ('Data' in r ? r.Data?.Generation : undefined))).toEqual(Array(10).fill('1'));
    const gpfi = h.sim.calls.list().filter((c) => c.op === 'GetParametersForImport');
    expect(gpfi.filter((c) => c.ok)).toHaveLength(10);
    expect(gpfi.filter((c) => c.error === 'ThrottlingException').length).toBeGreaterThan(0);
    const all = groups.map((g) => g.groupId);
    for (const g of groups) expect(await invariantViolations(h, g, { otherGroups: all })).toEqual([]);
  });
});
