/**
 * Replacing a key group (a new groupId for the same alias: the prop changed,
 * or the construct moved) through the real SDK clients, the KMS simulator and
 * a local DynamoDB, with and without stale reads: the new group takes the
 * alias over with the staged promotion, the alias resolves to an Enabled key
 * at every moment, the old group's keys follow its removal policy when
 * CloudFormation deletes it, and a rolled-back replacement gives the alias
 * back to the old group intact. Only a group of the same ledger can be taken
 * over.
 */
import { CreateKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness, SCHEDULE_PERIOD_MS } from './harness';
import { currentGeneration, GenerationRecord } from '../../lambda/rotation/ledger-model';
import { CustomResourceResult } from '../../lambda/rotation/lifecycle';
import type { KmsSimulatorOptions } from '../kms-simulator';

const HOUR = 3_600_000;
const ALIAS = 'alias/telemetry';
const A = 'telemetry-group';
const B = 'telemetry-group-v2';
const WINDOW_MS = 420_000;

const propsA = (removal = 'destroy') => groupProps({ RemovalPolicy: removal });
const propsB = (removal = 'destroy') => groupProps({ GroupId: B, RemovalPolicy: removal });

const settings: Array<[string, KmsSimulatorOptions]> = [
  ['consistent reads', {}],
  ['stale reads (seed 1)', { consistency: { seed: 1, readLagMs: 2000, newKeyNotFoundMs: 3000 } }],
  ['stale reads (seed 2)', { consistency: { seed: 2, readLagMs: 2000, newKeyNotFoundMs: 3000 } }],
];

describe.each(settings)('replacing a key group, %s', (_, simulator) => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start(simulator);
    f = h.functions();
  });
  afterEach(async () => h.stop());

  /** Group A with two generations (one rotation), so it has a retired key as well as the current one. */
  async function deployA(removal = 'destroy'): Promise<string[]> {
    await f.lifecycle(cfnEvent('Create', propsA(removal)));
    await f.rotation(rotateNow(ALIAS, A));
    await h.runSchedule(f, HOUR, rotateIfDue(ALIAS, A));
    const rec = await h.group(A);
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'current']);
    return rec.generations.map((g) => g.keyId);
  }

  const replace = (removal = 'destroy') => f.lifecycle(cfnEvent('Update', propsB(removal), { PhysicalResourceId: A, OldResourceProperties: propsA(removal) }));

  /** The alias resolves to an Enabled key and encrypts; what was written still decrypts (while its key exists). */
  const written: Array<{ text: string; ciphertext: Uint8Array }> = [];
  async function aliasWorks(label: string): Promise<void> {
    const target = h.aliasTarget(ALIAS)!;
    expect([label, h.sim.state.key(target)!.state]).toEqual([label, 'Enabled']);
    const text = `${label} @ ${h.sim.clock.now().toISOString()}`;
    written.push({ text, ciphertext: await h.encrypt(ALIAS, text) });
  }

  /** The scheduled runs of the new group, checking the alias after each and a minute later. */
  async function scheduleB(ms: number): Promise<string[]> {
    const outcomes = await h.runSchedule(f, ms, rotateIfDue(ALIAS, B), async () => {
      await aliasWorks('after a run');
      h.sim.clock.advance(60_000);
      await aliasWorks('a minute later');
    });
    return outcomes.map((o) => o.outcome);
  }

  beforeEach(() => { written.length = 0; });

  test('an Update with a new groupId takes the alias over with the staged promotion; the Delete of the old group (DESTROY) before the promotion leaves its current key usable until a window after it', async () => {
    const [a1, a2] = await deployA();
    await aliasWorks('before the replacement');
    const result: CustomResourceResult = await replace();
    expect(result.PhysicalResourceId).toBe(B);
    let b = await h.group(B);
    const b1 = b.generations[0];
    expect(b.takeover).toMatchObject({ fromGroup: A, keyId: a2 });
    expect(b.generations.map((g) => [g.n, g.stage])).toEqual([[1, 'pending']]);
    expect(b.rotation).toMatchObject({ n: 1, phase: 'promote' });
    expect(Date.parse(b.rotation!.notBefore!) - Date.parse(b1.authorizableSince)).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(result.Data).toMatchObject({ KeyId: b1.keyId, AliasName: ALIAS, Generation: '1' });
    // The Update never moves the alias: B's scheduled runs do, a window after its generation 1 was made.
    expect(h.aliasTarget(ALIAS)).toBe(a2);
    expect(await h.ledger.groupOfAlias(ALIAS)).toBe(B);
    await aliasWorks('after the Update');

    // CloudFormation's cleanup deletes the old physical id at once: A's retired key is scheduled for
    // deletion, its current key (the alias's target) stays Enabled, and the alias stays.
    h.sim.clock.advance(5000);
    await f.lifecycle(cfnEvent('Delete', propsA(), { PhysicalResourceId: A }));
    const a = await h.group(A);
    expect(a.status).toBe('destroyed');
    expect(a.handover).toEqual({ toGroup: B, deferred: [2] });
    expect(h.sim.state.key(a1)!.state).toBe('PendingDeletion');
    expect(h.sim.state.key(a2)!.state).toBe('Enabled');
    expect(h.aliasTarget(ALIAS)).toBe(a2);
    await aliasWorks('after the Delete of the old group');

    const outcomes = await scheduleB(HOUR);
    expect(outcomes.slice(0, 2)).toEqual(['promoted', 'completed']);
    b = await h.group(B);
    expect(currentGeneration(b)!.keyId).toBe(b1.keyId);
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    expect(Date.parse(b.takeover!.promotedAt!) - Date.parse(b1.authorizableSince)).toBeGreaterThanOrEqual(WINDOW_MS);
    // A window after the promotion the deferred key gets A's removal policy, with A's pending window.
    const deleted = (await h.group(A)).generations.find((g) => g.n === 2)!;
    expect(Date.parse(deleted.deletionScheduledAt!) - Date.parse(b.takeover!.promotedAt!)).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(h.sim.state.key(a2)!.state).toBe('PendingDeletion');
    expect(b.rotation).toBeUndefined();
    // What was written under B's generation still decrypts; B rotates on as any group.
    const last = written[written.length - 1];
    expect(await h.decrypt(last.ciphertext)).toBe(last.text);
    await f.rotation(rotateNow(ALIAS, B));
    expect((await scheduleB(HOUR)).slice(0, 2)).toEqual(['promoted', 'completed']);
    expect((await h.group(B)).generations.map((g) => g.stage)).toEqual(['retired', 'current']);
    expect(h.log.errors()).toEqual([]);
  });

  test('a Create of a new group (the construct moved) takes the alias over the same way; the old group (RETAIN) deleted after the promotion keeps its keys', async () => {
    const [a1, a2] = await deployA('retain');
    await f.lifecycle(cfnEvent('Create', propsB('retain')));
    expect(h.aliasTarget(ALIAS)).toBe(a2);
    expect((await scheduleB(HOUR)).slice(0, 2)).toEqual(['promoted', 'completed']);
    const b1 = currentGeneration(await h.group(B))!;
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    await f.lifecycle(cfnEvent('Delete', propsA('retain'), { PhysicalResourceId: A }));
    expect((await h.group(A)).status).toBe('retained');
    expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['Enabled', 'Enabled']);
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    expect(await h.decrypt(written[0].ciphertext)).toBe(written[0].text);
    expect(h.log.errors()).toEqual([]);
  });

  test('the Delete of the old group (DESTROY) after the promotion schedules every key at once and leaves the alias on the new group', async () => {
    const [a1, a2] = await deployA();
    await replace();
    h.sim.clock.advance(WINDOW_MS + SCHEDULE_PERIOD_MS);
    expect((await f.rotation(rotateIfDue(ALIAS, B))).outcome).toBe('promoted');
    const b1 = (await h.group(B)).generations[0];
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    h.sim.clock.advance(5000);
    await f.lifecycle(cfnEvent('Delete', propsA(), { PhysicalResourceId: A }));
    expect((await h.group(A)).handover).toEqual({ toGroup: B, deferred: [] });
    expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['PendingDeletion', 'PendingDeletion']);
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    await aliasWorks('after the Delete');
    expect((await scheduleB(HOUR)).slice(0, 1)).toEqual(['completed']);
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    expect(h.log.errors()).toEqual([]);
  });

  const withoutLabelTime = ({ labelsWrittenAt: _written, ...g }: GenerationRecord) => g;
  for (const when of ['before', 'after'] as const) {
    test(`a rolled-back replacement (CloudFormation deletes the new group ${when} its promotion) gives the alias back to the old group intact`, async () => {
      const [a1, a2] = await deployA();
      const aBefore = await h.group(A);
      await aliasWorks('before the replacement');
      await replace();
      if (when === 'after') {
        h.sim.clock.advance(WINDOW_MS + SCHEDULE_PERIOD_MS);
        expect((await f.rotation(rotateIfDue(ALIAS, B))).outcome).toBe('promoted');
        expect(h.aliasTarget(ALIAS)).not.toBe(a2);
      }
      const b1 = (await h.group(B)).generations[0];
      // The rollback: CloudFormation puts the old settings back on the old physical id, then deletes the new one.
      await f.lifecycle(cfnEvent('Update', propsA(), { PhysicalResourceId: B, OldResourceProperties: propsB() }));
      h.sim.clock.advance(3000);
      await f.lifecycle(cfnEvent('Delete', propsB(), { PhysicalResourceId: B }));
      expect(h.aliasTarget(ALIAS)).toBe(a2);
      expect(await h.ledger.groupOfAlias(ALIAS)).toBe(A);
      const a = await h.group(A);
      expect(a.status).toBe('active');
      // The rollback's Update writes A's labels again (every stack Update does, see docs/consistency.md); nothing else changes.
      expect(a.generations.map(withoutLabelTime)).toEqual(aBefore.generations.map(withoutLabelTime));
      expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['Enabled', 'Enabled']);
      expect(h.sim.state.key(b1.keyId)!.state).toBe('PendingDeletion');
      expect((await h.group(B)).status).toBe('destroyed');
      // A reader that saw the alias before the rollback may see it on the new group's key for the read lag, as after any DESTROY.
      h.sim.clock.advance(5000);
      await aliasWorks('after the rollback');
      for (const w of written) expect(await h.decrypt(w.ciphertext)).toBe(w.text);
      // A carries on: its next rotation is made and promoted by its own schedule.
      await f.rotation(rotateNow(ALIAS, A));
      expect((await h.runSchedule(f, HOUR, rotateIfDue(ALIAS, A))).slice(0, 2).map((o) => o.outcome)).toEqual(['promoted', 'completed']);
      expect(h.aliasTarget(ALIAS)).toBe(currentGeneration(await h.group(A))!.keyId);
      expect(h.log.errors()).toEqual([]);
    });
  }

  test('a rolled-back replacement with RETAIN discards the new group\'s never-promoted generation and keeps the old one', async () => {
    const [, a2] = await deployA('retain');
    await replace('retain');
    const b1 = (await h.group(B)).generations[0];
    await f.lifecycle(cfnEvent('Delete', propsB('retain'), { PhysicalResourceId: B }));
    expect(h.aliasTarget(ALIAS)).toBe(a2);
    expect(await h.ledger.groupOfAlias(ALIAS)).toBe(A);
    expect(h.sim.state.key(b1.keyId)!.state).toBe('PendingDeletion');
    const b = await h.group(B);
    expect([b.status, b.generations[0].stage, b.rotation]).toEqual(['retained', 'discarded', undefined]);
    expect(h.log.errors()).toEqual([]);
  });

  test('a replacement whose Create fails leaves the old group as it was; its Delete (DESTROY) then removes everything', async () => {
    const [a1, a2] = await deployA();
    h.sim.faults.serverError('ImportKeyMaterial', 'always');
    await expect(replace()).rejects.toThrow();
    h.sim.faults.clear();
    const b = await h.group(B);
    expect([b.status, b.generations.map((g) => g.stage)]).toEqual(['failed', ['discarded']]);
    expect(h.sim.state.key(b.generations[0].keyId)!.state).toBe('PendingDeletion');
    expect(h.aliasTarget(ALIAS)).toBe(a2);
    expect(await h.ledger.groupOfAlias(ALIAS)).toBe(A);
    await aliasWorks('after the failed replacement');
    await f.lifecycle(cfnEvent('Delete', propsA(), { PhysicalResourceId: A }));
    expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['PendingDeletion', 'PendingDeletion']);
    expect(h.aliasTarget(ALIAS)).toBeUndefined();
    expect((await h.group(A)).handover).toBeUndefined();
  });

  test('an alias on a key no group of the ledger made is still refused with the adopt advice, before any write', async () => {
    await deployA();
    const foreign = (await h.kms.send(new CreateKeyCommand({ Description: 'somebody else\'s' }))).KeyMetadata!.KeyId!;
    h.sim.clock.advance(60_000);
    await h.kms.send(new UpdateAliasCommand({ AliasName: ALIAS, TargetKeyId: foreign }));
    h.sim.clock.advance(60_000);
    const keys = h.keysBesidesSeals().length;
    await expect(replace()).rejects.toThrow(/alias alias\/telemetry already exists and points at key .*, which this key group did not create; adopting an existing alias needs the adopt prop/);
    expect(await h.ledger.get(B)).toBeUndefined();
    expect(h.keysBesidesSeals().length).toBe(keys);
    expect(await h.ledger.groupOfAlias(ALIAS)).toBe(A);
  });
});
