/**
 * CloudFormation rolls an Update back seconds after it: Update v1→v2, then
 * the rollback Update v2→v1, while KMS reads (DescribeKey, ListResourceTags)
 * show the state of a moment ago. Every live generation must end on exactly
 * v1's tags and description, and later scheduled runs must keep it so: what
 * an Update writes is derived from the ledger's before/after settings and the
 * event's old properties, never from a read that may be stale.
 */
import { TagResourceCommand } from '@aws-sdk/client-kms';
import { adoptProps, ownersKey } from './adopt-fixtures';
import { CallBudget } from './dying';
import { ACCOUNT, cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { liveGenerations } from '../../lambda/rotation/ledger-model';
import { userTagsOf } from '../../lambda/rotation/tags';
import { ConsistencyOptions } from '../kms-simulator';

const SECONDS = 1000;
const MINUTES = 60 * SECONDS;
const HOUR = 60 * MINUTES;
const LEASE_MS = 2 * MINUTES;

/** The simulator reads `readLagMs` at every request: the test raises the staleness after the deploy (a Create under minutes of staleness is another finding). */
type Staleness = { -readonly [K in keyof ConsistencyOptions]: ConsistencyOptions[K] };

const v1 = { Description: 'Telemetry data key', Tags: '{"team":"platform","owner":"data"}' };
const CHANGES: Array<[string, Record<string, string>]> = [
  ['adds a tag and changes the description', { Description: 'v2 description', Tags: '{"team":"platform","owner":"data","cost-center":"42"}' }],
  ['changes a tag\'s value', { Tags: '{"team":"v2-team","owner":"data"}' }],
  ['removes a tag', { Tags: '{"team":"platform"}' }],
  ['adds, changes and removes tags and the description', { Description: 'v2', Tags: '{"team":"v2-team","cost-center":"42"}' }],
];

function update(to: Record<string, string>, from: Record<string, string>): Record<string, unknown> {
  return cfnEvent('Update', groupProps(to), { OldResourceProperties: groupProps(from) });
}

/** What the test sees of every live generation in KMS (latest state): user tags and description. */
async function onKeys(h: Harness): Promise<Array<[number, Record<string, string>, string | undefined]>> {
  return liveGenerations(await h.group()).map((g) => {
    const key = h.sim.state.key(g.keyId)!;
    return [g.n, userTagsOf(key.tags), key.description];
  });
}

function expected(props: Record<string, string>, gens: number[]) {
  return gens.map((n) => [n, JSON.parse(props.Tags), props.Description ?? v1.Description]);
}

describe.each([
  ['up to 2 s stale, rollback 4 s later', 2 * SECONDS, 4 * SECONDS],
  ['up to 2 s stale, rollback 1 s later', 2 * SECONDS, 1 * SECONDS],
  ['up to 60 s stale, rollback 4 s later', 60 * SECONDS, 4 * SECONDS],
])('a rollback %s', (_name, readLagMs, gapMs) => {
  describe.each([1, 2])('seed %i', (seed) => {
    let h: Harness;
    let f: Functions;
    let staleness: Staleness;
    beforeEach(async () => {
      staleness = { seed, readLagMs: 2 * SECONDS, newKeyNotFoundMs: 3 * SECONDS };
      h = await Harness.start({ consistency: staleness });
      f = h.functions();
    });
    afterEach(async () => h.stop());

    test.each(CHANGES)('of an Update that %s leaves every generation on v1, and the schedule keeps it so', async (_change, v2Changes) => {
      await h.deploy(f, v1);
      // Two live generations: the rollback must reach the retired one too.
      await f.rotation(rotateNow());
      await h.runSchedule(f, HOUR);
      staleness.readLagMs = readLagMs;
      const v2 = { ...v1, ...v2Changes };
      await f.lifecycle(update(v2, v1));
      expect(await onKeys(h)).toEqual(expected(v2, [1, 2]));
      h.sim.clock.advance(gapMs);
      await f.lifecycle(update(v1, v2));
      expect(await onKeys(h)).toEqual(expected(v1, [1, 2]));
      await h.runSchedule(f, HOUR);
      expect(await onKeys(h)).toEqual(expected(v1, [1, 2]));
      expect(h.log.errors()).toEqual([]);
    });
  });
});

describe('an Update or its rollback that dies at any call, followed by what CloudFormation sends next', () => {
  let h: Harness;
  let staleness: Staleness;
  const READERS = { Sid: 'ReadersV2', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/readers' }, Action: 'kms:Decrypt', Resource: '*' };
  const v2 = { Description: 'v2', Tags: '{"team":"v2-team","cost-center":"42"}', KeyPolicyStatements: JSON.stringify([READERS]) };
  beforeAll(async () => {
    staleness = { seed: 4, readLagMs: 2 * SECONDS, newKeyNotFoundMs: 3 * SECONDS };
    h = await Harness.start({ consistency: staleness });
  });
  afterAll(async () => h.stop());

  async function deployed(groupId: string): Promise<Functions> {
    const healthy = h.functions({ leaseMs: LEASE_MS });
    await h.deploy(healthy, { ...v1, GroupId: groupId, AliasName: `alias/${groupId}` });
    await healthy.rotation(rotateNow(`alias/${groupId}`, groupId));
    await h.runSchedule(healthy, HOUR, rotateIfDue(`alias/${groupId}`, groupId));
    return healthy;
  }

  function ev(groupId: string, to: Record<string, string>, from: Record<string, string>) {
    return cfnEvent('Update', groupProps({ ...to, GroupId: groupId, AliasName: `alias/${groupId}` }), {
      OldResourceProperties: groupProps({ ...from, GroupId: groupId, AliasName: `alias/${groupId}` }),
      PhysicalResourceId: groupId,
    });
  }

  /** User tags, description and whether the key policy has v2's statement, of every live generation. */
  async function userTagsAndDescriptions(groupId: string) {
    return liveGenerations(await h.group(groupId)).map((g) => {
      const key = h.sim.state.key(g.keyId)!;
      return [g.n, userTagsOf(key.tags), key.description, key.policy.includes(READERS.Sid)];
    });
  }

  /**
   * Deploys a group, runs `before`, lets `dying` die at call k (k = 0, 1, ...) and then runs `next` with a healthy
   * function, until a k where `dying` no longer dies: every death point of the dying run (their count varies with
   * the reads the staleness makes the function repeat).
   */
  async function everyDeath(
    name: string,
    o: { before?: (id: string) => unknown; dying: (id: string) => unknown; next: (id: string) => unknown; want: Record<string, string> },
  ): Promise<number> {
    for (let k = 0; ; k++) {
      const groupId = `${name}-${k}`;
      const healthy = await deployed(groupId);
      if (o.before) await healthy.lifecycle(o.before(groupId));
      const dying = h.functions({ leaseMs: LEASE_MS, budget: new CallBudget(k), maxAttempts: 1 });
      const died = await dying.lifecycle(o.dying(groupId)).then(() => false, (e: Error) => {
        expect(e.name).toBe('FunctionDied');
        return true;
      });
      h.sim.clock.advance(4 * SECONDS);
      await healthy.lifecycle(o.next(groupId));
      const where = `died at call ${k + 1}`;
      const want = [1, 2].map((n) => [n, JSON.parse(o.want.Tags), o.want.Description, o.want === v2]);
      expect([where, await userTagsAndDescriptions(groupId)]).toEqual([where, want]);
      if (!died) return k;
    }
  }

  const first = (id: string) => ev(id, v2, v1);
  const rollback = (id: string) => ev(id, v1, v2);

  test('the Update v1→v2 dies at any call; the rollback v2→v1 follows: every generation ends on v1', async () => {
    expect(await everyDeath('update', { dying: first, next: rollback, want: v1 })).toBeGreaterThan(5);
  });

  test('the rollback v2→v1 dies at any call; it is continued (sent again): every generation ends on v1', async () => {
    expect(await everyDeath('rollback', { before: first, dying: rollback, next: rollback, want: v1 })).toBeGreaterThan(5);
  });

  test('the Update v1→v2 dies at any call; the same Update sent again ends every generation on v2', async () => {
    expect(await everyDeath('again', { dying: first, next: first, want: v2 })).toBeGreaterThan(5);
  });
});

describe('the audit of a scheduled run', () => {
  test('reports a tag that earlier settings declared and the key still carries, and leaves the owner\'s own tags alone', async () => {
    const h = await Harness.start();
    try {
      const f = h.functions();
      await h.deploy(f, v1);
      const v2 = { ...v1, Tags: '{"team":"platform","cost-center":"42"}' };
      await f.lifecycle(update(v2, v1));
      h.sim.clock.advance(HOUR);
      const current = liveGenerations(await h.group())[0];
      // A leftover as an Update that did not finish (or an earlier version) would leave it, and a tag of the owner's own tooling.
      await h.kms.send(new TagResourceCommand({ KeyId: current.keyId, Tags: [{ TagKey: 'owner', TagValue: 'data' }, { TagKey: 'backup', TagValue: 'daily' }] }));
      await h.runSchedule(f, 20 * MINUTES);
      const reports = h.log.lines.filter((l) => l.attributes.leftover === 'tags');
      expect(reports.length).toBeGreaterThan(0);
      expect(reports.map((l) => [l.level, l.attributes.generation, l.attributes.tags])).toContainEqual(['warn', 1, ['owner']]);
      expect(h.log.errors()).toEqual([]);
      expect(userTagsOf(h.sim.state.key(current.keyId)!.tags)).toEqual({ 'team': 'platform', 'cost-center': '42', 'owner': 'data', 'backup': 'daily' });
      // What tells the two apart: the ledger remembers the tag keys that settings of the group declared and dropped.
      expect((await h.group()).formerTagKeys).toEqual(['owner']);
    } finally {
      await h.stop();
    }
  });
});

describe('an adopted key', () => {
  test('keeps a tag the settings drop and its own description; the generation the library made loses the tag', async () => {
    const h = await Harness.start();
    try {
      const f = h.functions();
      const adoptedId = await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
      const v1Adopt = adoptProps(true, v1);
      await f.lifecycle(cfnEvent('Create', v1Adopt));
      const v2 = adoptProps(true, { ...v1, Description: 'v2', Tags: '{"team":"platform"}' });
      await f.lifecycle(cfnEvent('Update', v2, { OldResourceProperties: v1Adopt }));
      const [g0, g1] = liveGenerations(await h.group());
      expect([g0.n, g0.keyId, g1.n]).toEqual([0, adoptedId, 1]);
      expect([userTagsOf(h.sim.state.key(g0.keyId)!.tags), h.sim.state.key(g0.keyId)!.description])
        .toEqual([{ team: 'platform', owner: 'data' }, 'the owner\'s key']);
      expect([userTagsOf(h.sim.state.key(g1.keyId)!.tags), h.sim.state.key(g1.keyId)!.description]).toEqual([{ team: 'platform' }, 'v2']);
    } finally {
      await h.stop();
    }
  });
});

test('an Update whose old properties carry tags this version would refuse still applies the new settings', async () => {
  const h = await Harness.start();
  try {
    const f = h.functions();
    await h.deploy(f, v1);
    const v2 = { ...v1, Tags: '{"team":"v2-team"}' };
    await f.lifecycle(cfnEvent('Update', groupProps(v2), { OldResourceProperties: groupProps({ ...v1, Tags: '{"rotation:x":"1"}' }) }));
    // The ledger's settings before the Update still name what it removes.
    expect(await onKeys(h)).toEqual(expected(v2, [1]));
  } finally {
    await h.stop();
  }
});
