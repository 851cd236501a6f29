/**
 * A key group's life through the real SDK clients, the KMS simulator and a
 * local DynamoDB: deploy, staged rotation across scheduled runs, emergency
 * rotation, update, delete.
 */
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, EncryptCommand, GetKeyPolicyCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { generationAlias } from '../../lambda/rotation/aliases';
import { addCalendarMonths } from '../../lambda/rotation/dates';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { SID } from '../../lambda/rotation/policy';
import { TAG } from '../../lambda/rotation/tags';
import { MS_PER_DAY, MS_PER_HOUR } from '../kms-simulator';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness, SCHEDULE_PERIOD_MS } from './harness';

const WINDOW_MS = 420_000;

describe('a key group through the ledger', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());

  test('deploy makes generation 1, its alias and its ledger entry', async () => {
    const r = await h.deploy(f);
    const rec = await h.group();
    expect(rec.status).toBe('active');
    expect(rec.generations).toHaveLength(1);
    const g1 = currentGeneration(rec)!;
    expect(r.Data).toMatchObject({ KeyId: g1.keyId, KeyArn: g1.keyArn, AliasName: 'alias/telemetry', Generation: '1' });
    expect(h.aliasTarget('alias/telemetry')).toBe(g1.keyId);
    expect(h.aliasTarget(generationAlias('telemetry-group', 1))).toBe(g1.keyId);
    const key = h.sim.state.key(g1.keyId)!;
    expect(key).toMatchObject({ state: 'Enabled', origin: 'EXTERNAL', hasMaterial: true });
    expect(key.tags).toMatchObject({ [TAG.stage]: 'current', [TAG.generation]: '1', [TAG.group]: 'telemetry-group', team: 'platform' });
    expect(rec.nextDueAt).toBe('2026-07-01T03:00:00.000Z');
    // Every ledger read the functions made was strongly consistent.
    expect(h.db.reads.length).toBeGreaterThan(0);
    expect(h.db.reads.filter((x) => !x.consistent)).toEqual([]);
  });

  test('a due rotation is staged: promoted a window after the key was made, fenced a window after the alias moved', async () => {
    await h.deploy(f);
    const g1 = currentGeneration(await h.group())!;
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    const outcomes = await h.runSchedule(f, 60 * 60 * 1000);
    const kinds = outcomes.map((o) => o.outcome);
    // 03:05 starts (claim, create, import, test); 03:15 promotes (7-minute window passed); 03:25 fences.
    expect(kinds.slice(0, 4)).toEqual(['started', 'promoted', 'completed', 'not-due']);
    expect(outcomes[0].phasesDone).toEqual(['create', 'import', 'test']);
    const rec = await h.group();
    const g2 = currentGeneration(rec)!;
    expect(g2.n).toBe(2);
    expect(Date.parse(g2.activatedAt!) - Date.parse(g2.authorizableSince)).toBeGreaterThanOrEqual(WINDOW_MS);
    const retired = rec.generations.find((g) => g.n === 1)!;
    expect(retired.stage).toBe('retired');
    expect(Date.parse(retired.fencedAt!) - Date.parse(retired.retiredAt!)).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(h.aliasTarget('alias/telemetry')).toBe(g2.keyId);
    const policy = JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: g1.keyId, PolicyName: 'default' }))).Policy!);
    expect(policy.Statement.map((s: { Sid?: string }) => s.Sid)).toContain(SID.retiredFence);
    expect(h.sim.state.key(g1.keyId)!.tags[TAG.stage]).toBe('retired');
    expect(h.sim.state.key(g1.keyId)!.tags[TAG.nextDueAt]).toBeUndefined();
    expect(rec.rotation).toBeUndefined();
    expect(rec.nextDueAt?.slice(0, 10)).toBe('2027-01-01');
  });

  test('a due rotation waits for the configured hour', async () => {
    await h.deploy(f);
    h.sim.clock.set(new Date('2026-07-01T04:00:00Z'));
    const day = await h.runSchedule(f, 22 * MS_PER_HOUR);
    expect(day.every((o) => o.outcome === 'not-due')).toBe(true);
    const next = await h.runSchedule(f, 2 * MS_PER_HOUR);
    expect(next.map((o) => o.outcome)).toContain('completed');
  });

  test('a rotation more than a day overdue starts at any hour', async () => {
    await h.deploy(f);
    h.sim.clock.set(new Date('2026-07-02T15:00:00Z'));
    const [o] = await h.runSchedule(f, SCHEDULE_PERIOD_MS);
    expect(o.outcome).toBe('started');
  });

  test('rotate-now starts at once, says when promotion may happen, and never reports a rotation it did not make', async () => {
    await h.deploy(f);
    h.sim.clock.advance(30 * MS_PER_DAY + 5 * MS_PER_HOUR);
    const r = await f.rotation(rotateNow());
    expect(r).toMatchObject({ outcome: 'started', generation: 2, phase: 'promote' });
    expect(Date.parse(r.nextPhaseAt!) - h.sim.clock.now().getTime()).toBeGreaterThan(WINDOW_MS - 5000);
    // Asked again at once: it joins the rotation under way, no second key.
    const again = await f.rotation(rotateNow());
    expect(again).toMatchObject({ outcome: 'in-progress', generation: 2 });
    expect(h.groupKeys('telemetry-group')).toHaveLength(2);
    const rest = await h.runSchedule(f, 30 * 60 * 1000);
    expect(rest.map((o) => o.outcome)).toEqual(expect.arrayContaining(['promoted', 'completed']));
    expect((await h.group()).generations.map((g) => [g.n, g.stage])).toEqual([[1, 'retired'], [2, 'current']]);
  });

  test('rotate-now after the alias moved but before the fence queues another rotation', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    h.sim.clock.advance(WINDOW_MS + 1000);
    expect((await f.rotation(rotateIfDue())).outcome).toBe('promoted');
    const r = await f.rotation(rotateNow());
    expect(r.outcome).toBe('queued');
    h.sim.clock.advance(WINDOW_MS + 1000);
    const fenced = await f.rotation(rotateIfDue());
    // The fence completes and the queued emergency rotation starts in the same run.
    expect(fenced.phasesDone).toEqual(['fence', 'create', 'import', 'test']);
    expect(fenced.generation).toBe(3);
  });

  test('not-due runs read the ledger, verify its seals once per entry version, make two KMS metadata calls, and write nothing', async () => {
    await h.deploy(f);
    h.sim.clock.advance(11 * 60_000);
    const before = h.sim.calls.list().length;
    const writesBefore = h.sim.calls.writes();
    expect((await f.rotation(rotateIfDue())).outcome).toBe('not-due');
    // The entry the deploy wrote is new to the rotation function: its state seal and its settings seal are verified.
    expect(h.sim.calls.list().slice(before).map((c) => c.op)).toEqual(['VerifyMac', 'VerifyMac', 'DescribeKey', 'ListResourceTags']);
    h.sim.clock.advance(10 * 60_000);
    const again = h.sim.calls.list().length;
    expect((await f.rotation(rotateIfDue())).outcome).toBe('not-due');
    // The same entry again: verified already in this process.
    expect(h.sim.calls.list().slice(again).map((c) => c.op)).toEqual(['DescribeKey', 'ListResourceTags']);
    expect(h.sim.calls.writes()).toBe(writesBefore);
  });

  test('a next-due-at tag moved to 2036 changes nothing, is reported as tampering and rewritten', async () => {
    await h.deploy(f);
    const g1 = currentGeneration(await h.group())!;
    await h.kms.send(new TagResourceCommand({ KeyId: g1.keyId, Tags: [{ TagKey: TAG.nextDueAt, TagValue: '2036-01-01T00:00:00.000Z' }] }));
    h.sim.clock.advance(WINDOW_MS + 60_000);
    await f.rotation(rotateIfDue());
    expect(h.log.errors().map((l) => l.message)).toEqual([expect.stringContaining('tampering detected')]);
    expect(h.sim.state.key(g1.keyId)!.tags[TAG.nextDueAt]).toBe('2026-07-01T03:00:00.000Z');
    h.sim.clock.set(new Date('2026-07-01T03:05:00Z'));
    expect((await f.rotation(rotateIfDue())).outcome).toBe('started');
  });

  test('a ledger due date pushed out is bounded by the KMS creation date of the current key', async () => {
    await h.deploy(f);
    const rec = await h.group();
    await h.ledger.write({ ...rec, nextDueAt: '2036-01-01T00:00:00.000Z' }, rec, h.sim.clock.now(), { runId: 'test-edit' });
    h.sim.clock.set(new Date('2026-07-02T03:05:00Z'));
    expect((await f.rotation(rotateIfDue())).outcome).toBe('started');
    expect(h.log.errors().some((l) => l.attributes.tampering === 'ledger-due-date')).toBe(true);
  });

  test('an update applies the settings to every generation and keeps the retired fence', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, 30 * 60_000);
    const event = cfnEvent('Update', groupProps({ Description: 'renamed', Tags: '{"team":"security"}', IntervalMonths: '3' }), { OldResourceProperties: groupProps() });
    await f.lifecycle(event);
    const rec = await h.group();
    for (const g of rec.generations) {
      const key = h.sim.state.key(g.keyId)!;
      expect(key.description).toBe('renamed');
      expect(key.tags.team).toBe('security');
      expect(key.tags[TAG.intervalMonths]).toBe('3');
      const fenced = JSON.parse(key.policy).Statement.some((s: { Sid?: string }) => s.Sid === SID.retiredFence);
      expect(fenced).toBe(g.stage === 'retired');
    }
    const current = currentGeneration(rec)!;
    // Counted from the start of the rotation that made the current generation.
    expect(rec.nextDueAt).toBe(addCalendarMonths(new Date(current.claimedAt), 3).toISOString());
  });

  test('an update that renames the alias moves it to the current key and removes the old one', async () => {
    await h.deploy(f);
    await f.lifecycle(cfnEvent('Update', groupProps({ AliasName: 'alias/renamed' }), { OldResourceProperties: groupProps() }));
    const current = currentGeneration(await h.group())!;
    expect(h.aliasTarget('alias/renamed')).toBe(current.keyId);
    expect(h.aliasTarget('alias/telemetry')).toBeUndefined();
    expect((await f.rotation(rotateIfDue('alias/renamed'))).outcome).toBe('not-due');
    await expect(f.rotation(rotateIfDue('alias/telemetry'))).rejects.toThrow(/has alias alias\/renamed/);
  });

  test('delete with DESTROY schedules every generation for deletion and removes the aliases', async () => {
    await h.deploy(f, { RemovalPolicy: 'destroy' });
    await f.rotation(rotateNow());
    await h.runSchedule(f, 30 * 60_000);
    await f.lifecycle(cfnEvent('Delete', groupProps({ RemovalPolicy: 'destroy' })));
    expect(h.groupKeys('telemetry-group').map((k) => k.state)).toEqual(['PendingDeletion', 'PendingDeletion']);
    expect(h.sim.state.aliases().filter((a) => a.AliasName.includes('telemetry'))).toEqual([]);
    expect((await h.group()).status).toBe('destroyed');
  });

  test('a Delete that says DESTROY for a group deployed with RETAIN keeps the keys: both must ask for it', async () => {
    await h.deploy(f);
    await f.lifecycle(cfnEvent('Delete', groupProps({ RemovalPolicy: 'destroy' })));
    expect(h.groupKeys('telemetry-group').map((k) => k.state)).toEqual(['Enabled']);
    expect((await h.group()).status).toBe('retained');
  });

  test('delete with RETAIN keeps every key and alias, and a new deploy of the group carries on with them', async () => {
    await h.deploy(f);
    const g1 = currentGeneration(await h.group())!;
    await f.lifecycle(cfnEvent('Delete', groupProps()));
    expect(h.groupKeys('telemetry-group').map((k) => k.state)).toEqual(['Enabled']);
    expect((await h.group()).status).toBe('retained');
    const r = await h.deploy(f);
    expect(r.Data?.KeyId).toBe(g1.keyId);
    expect((await h.group()).status).toBe('active');
  });

  test('a failed Create schedules its key for deletion and removes its aliases before answering FAILED', async () => {
    h.sim.faults.throttle('ImportKeyMaterial', 'always');
    await expect(h.deploy(f)).rejects.toThrow();
    const keys = h.groupKeys('telemetry-group');
    expect(keys.map((k) => k.state)).toEqual(['PendingDeletion']);
    // The shortest window: the key never held data.
    expect(Math.round((keys[0].deletionDate!.getTime() - h.sim.clock.now().getTime()) / MS_PER_DAY)).toBe(7);
    expect(h.sim.state.aliases().filter((a) => a.AliasName.includes('telemetry'))).toEqual([]);
    expect((await h.group()).status).toBe('failed');
    h.sim.faults.clear();
    const r = await h.deploy(f);
    expect(r.Data?.Generation).toBe('2');
  });

  test('a deploy refuses an alias that points at a key this group did not make, before any write', async () => {
    const other = await h.kms.send(new CreateKeyCommand({}));
    await h.kms.send(new CreateAliasCommand({ AliasName: 'alias/telemetry', TargetKeyId: other.KeyMetadata!.KeyId! }));
    const writes = h.sim.calls.writes();
    await expect(h.deploy(f)).rejects.toThrow(/did not create/);
    expect(h.sim.calls.writes()).toBe(writes);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
  });

  test('the writer encrypts through the alias at every scheduled run of a rotation', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    const seen = new Set<string>();
    await h.runSchedule(f, 40 * 60_000, rotateIfDue(), async () => {
      const r = await h.kms.send(new EncryptCommand({ KeyId: 'alias/telemetry', Plaintext: Buffer.from('x') }));
      seen.add(r.KeyId!);
    });
    expect(seen.size).toBe(1);
    const d = await h.kms.send(new DescribeKeyCommand({ KeyId: 'alias/telemetry' }));
    expect([...seen][0]).toBe(d.KeyMetadata!.Arn);
  });
});
