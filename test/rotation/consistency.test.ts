/**
 * The findings of running the first engine against a KMS that behaves like
 * AWS (reads that show the state of up to 2 s ago, new keys not found for up
 * to 3 s), each as a regression test: the ledger decides, KMS reads after our
 * own writes tolerate staleness, and no run reports what it did not do.
 */
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { cfnEvent, groupProps, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { SID } from '../../lambda/rotation/policy';
import { TAG } from '../../lambda/rotation/tags';

const HOUR = 3_600_000;
const SECONDS = 1000;

describe.each([1, 2, 3])('under eventual consistency (seed %i)', (seed) => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start({ consistency: { seed, readLagMs: 2 * SECONDS, newKeyNotFoundMs: 3 * SECONDS } });
    f = h.functions();
  });
  afterEach(async () => h.stop());

  async function fenced(keyId: string): Promise<boolean> {
    // The test's own read, once the lag has passed.
    h.sim.clock.advance(5 * SECONDS);
    const policy = JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!);
    return policy.Statement.some((s: { Sid?: string }) => s.Sid === SID.retiredFence);
  }

  test('Create succeeds although the new key is not found at first', async () => {
    const r = await h.deploy(f);
    expect(r.Data?.Generation).toBe('1');
    expect(h.sim.consistency.newKeyNotFound).toBeGreaterThan(0);
    expect(h.log.errors()).toEqual([]);
  });

  test('an Update seconds after a rotation keeps the retired generation fenced and gives the current one the new settings', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    h.sim.clock.advance(2 * SECONDS);
    await f.lifecycle(cfnEvent('Update', groupProps({ Description: 'v2', Tags: '{"team":"v2"}' }), { OldResourceProperties: groupProps() }));
    const rec = await h.group();
    const [g1, g2] = rec.generations;
    expect(await fenced(g1.keyId)).toBe(true);
    expect(await fenced(g2.keyId)).toBe(false);
    expect(h.sim.state.key(g2.keyId)!.description).toBe('v2');
    expect(h.sim.state.key(g2.keyId)!.tags.team).toBe('v2');
    expect(h.sim.state.key(g1.keyId)!.tags.team).toBe('v2');
  });

  test('a rotation seconds after an Update builds the new generation from the new settings', async () => {
    await h.deploy(f);
    await f.lifecycle(cfnEvent('Update', groupProps({ Description: 'after update', IntervalMonths: '3' }), { OldResourceProperties: groupProps() }));
    h.sim.clock.advance(1 * SECONDS);
    await f.rotation(rotateNow());
    const pending = (await h.group()).generations.find((g) => g.n === 2)!;
    const key = h.sim.state.key(pending.keyId)!;
    expect(key.description).toBe('after update');
    expect(key.tags[TAG.intervalMonths]).toBe('3');
  });

  test.each([
    ['seconds after Create', async () => undefined],
    ['seconds after a rotation started', async (fx: Functions) => { await fx.rotation(rotateNow()); }],
    ['seconds after a rotation completed', async (fx: Functions, hx: Harness) => { await fx.rotation(rotateNow()); await hx.runSchedule(fx, HOUR); }],
  ])('Delete with DESTROY %s leaves no key enabled and no alias', async (_when, before) => {
    await h.deploy(f, { RemovalPolicy: 'destroy' });
    await before(f, h);
    h.sim.clock.advance(1 * SECONDS);
    await f.lifecycle(cfnEvent('Delete', groupProps({ RemovalPolicy: 'destroy' })));
    expect(h.groupKeys('telemetry-group').filter((k) => k.state !== 'PendingDeletion')).toEqual([]);
    expect(h.sim.state.aliases().filter((a) => a.AliasName.includes('telemetry'))).toEqual([]);
  });

  test('rotate-now seconds after a rotation makes a new generation and says so', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    h.sim.clock.advance(1 * SECONDS);
    const r = await f.rotation(rotateNow());
    expect(r).toMatchObject({ outcome: 'started', generation: 3 });
    expect((await h.group()).generations.map((g) => g.n)).toEqual([1, 2, 3]);
  });
});

describe('a year of the schedule under eventual consistency', () => {
  test('raises no error and no false alarm', async () => {
    const h = await Harness.start({ consistency: { seed: 11, readLagMs: 2 * SECONDS, newKeyNotFoundMs: 3 * SECONDS } });
    try {
      const f = h.functions();
      await h.deploy(f);
      for (let day = 0; day < 400; day += 1) {
        h.advanceToScheduleHour(1);
        // 03:10, 03:20, 03:30: start, promote, fence.
        await h.runSchedule(f, HOUR / 2);
      }
      const rec = await h.group();
      expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'retired', 'current']);
      expect(h.log.errors()).toEqual([]);
      // Fresh keys were not found at first in every rotation, and the engine waited them out.
      expect(h.sim.consistency.newKeyNotFound).toBeGreaterThan(0);
      expect(h.aliasTarget('alias/telemetry')).toBe(currentGeneration(rec)!.keyId);
    } finally {
      await h.stop();
    }
  });
});
