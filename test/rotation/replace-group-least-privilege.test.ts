/**
 * Replacing a key group (its groupId changes from A to B) with exactly the IAM
 * policies the construct synthesizes, as CloudFormation applies them: the
 * policies of the template with B before B's Create and A's Delete, those of
 * the template with A again before a rollback's Update and Delete. The
 * simulator evaluates identity and key policies with stale reads and
 * authorization propagation on. A's id is in no statement once the template
 * names B: the functions reach A's keys by the stack tag every key carries
 * from CreateKey on, or by the user alias, and are never denied; keys made
 * before the stack tag existed are retained, with one warning.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness, SCHEDULE_PERIOD_MS } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import type { PolicyDocument } from '../iam';

const HOUR = 3_600_000;
const PROPAGATION_MS = 5 * 60_000;
const WINDOW_MS = 420_000;
const ALIAS = 'alias/telemetry';
const A = 'telemetry-group';
const B = 'telemetry-group-v2';
const STACK_TAG_REQUEST = 'aws:RequestTag/rotation:stack';

/** The template before and after the groupId change (same stack: same roles, table and seal keys). */
function templates(removal: RemovalPolicy): { a: DeployedStack; b: DeployedStack } {
  return { a: deployedStack({ groupId: A, removalPolicy: removal }), b: deployedStack({ groupId: B, removalPolicy: removal }) };
}

/**
 * The template of a version from before the stack tag: no StackId property, and CreateKey statements that
 * ask for no stack tag (everything else as now: only A's keys are made under it).
 */
function beforeTheStackTag(s: DeployedStack): DeployedStack {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== STACK_TAG_REQUEST).map(([k, x]) => [k, strip(x)]));
  };
  const old = (p: DeployedStack['lifecycle']) => ({ ...p, policies: strip(p.policies) as PolicyDocument[] });
  const { StackId: _stackId, ...resourceProperties } = s.resourceProperties;
  const lifecycle = old(s.lifecycle);
  const rotation = old(s.rotation);
  return { ...s, lifecycle, rotation, principals: [lifecycle, rotation, s.writer, s.reader, s.operator], resourceProperties };
}

const settings = [
  ['stale reads (seed 3)', 3],
  ['stale reads (seed 4)', 4],
] as const;

describe.each(settings)('replacing a key group with exactly the synthesized policies, %s', (_, seed) => {
  let h: Harness;
  let f: Functions;
  let current: DeployedStack;

  async function start(first: DeployedStack): Promise<void> {
    h = await Harness.start({
      consistency: { seed, readLagMs: 2000, newKeyNotFoundMs: 3000 },
      authorization: { principals: first.principals, propagationMs: PROPAGATION_MS },
    }, first.tableName, first.sealKeyPolicies);
    const eventBusName = declareEventBridge(h.sim, first.template);
    f = h.functions({ credentials: { lifecycle: first.lifecycle.credentials, rotation: first.rotation.credentials }, eventBusName });
    current = first;
  }
  afterEach(async () => h?.stop());

  /** CloudFormation updates the roles' policies before it runs the custom resource of the new template. */
  function apply(template: DeployedStack): void {
    for (const p of template.principals) h.sim.authorization.setPrincipal({ accessKeyId: p.accessKeyId, arn: p.arn, policies: p.policies });
    current = template;
  }

  /** Group A with two generations (one rotation): a retired key as well as the current one. */
  async function deployA(a: DeployedStack): Promise<string[]> {
    await f.lifecycle(cfnEvent('Create', a.resourceProperties));
    await f.rotation(rotateNow(ALIAS, A));
    await h.runSchedule(f, HOUR, a.scheduleInput);
    const rec = await h.group(A);
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'current']);
    return rec.generations.map((g) => g.keyId);
  }

  const replace = (a: DeployedStack, b: DeployedStack) => {
    apply(b);
    return f.lifecycle(cfnEvent('Update', b.resourceProperties, { PhysicalResourceId: A, OldResourceProperties: a.resourceProperties }));
  };
  const deleteA = (a: DeployedStack) => f.lifecycle(cfnEvent('Delete', a.resourceProperties, { PhysicalResourceId: A }));

  /** The alias resolves to an Enabled key that encrypts; every earlier ciphertext of a key not pending deletion decrypts. */
  const written: Array<{ text: string; ciphertext: Uint8Array }> = [];
  beforeEach(() => { written.length = 0; });
  async function aliasWorks(label: string): Promise<void> {
    const target = h.aliasTarget(ALIAS)!;
    expect([label, h.sim.state.key(target)!.state]).toEqual([label, 'Enabled']);
    const text = `${label} @ ${h.sim.clock.now().toISOString()}`;
    written.push({ text, ciphertext: await h.encrypt(ALIAS, text) });
  }

  /** B's scheduled runs (its template's schedule), checking the alias after each run and a minute later. */
  async function scheduleB(b: DeployedStack, ms: number): Promise<string[]> {
    const outcomes = await h.runSchedule(f, ms, b.scheduleInput, async () => {
      await aliasWorks('after a run');
      h.sim.clock.advance(60_000);
      await aliasWorks('a minute later');
    });
    return outcomes.map((o) => o.outcome);
  }

  function functionDenials(): unknown[] {
    const functions = [current.lifecycle.arn, current.rotation.arn];
    return h.sim.authorization.decisions.list().filter((x) => x.denied > 0 && functions.includes(x.principal));
  }

  test('DESTROY, A deleted before B\'s promotion: B takes the alias over, A\'s retired key is deleted by A\'s Delete, its current key by B\'s fence a window after the promotion; never denied', async () => {
    const { a, b } = templates(RemovalPolicy.DESTROY);
    await start(a);
    const [a1, a2] = await deployA(a);
    expect(h.sim.state.key(a1)!.tags['rotation:stack']).toBe(a.resourceProperties.StackId);
    await aliasWorks('before the replacement');
    expect((await replace(a, b)).PhysicalResourceId).toBe(B);
    const b1 = (await h.group(B)).generations[0];
    expect((await h.group(B)).takeover).toMatchObject({ fromGroup: A, keyId: a2 });
    expect(h.aliasTarget(ALIAS)).toBe(a2);
    h.sim.clock.advance(5000);
    await deleteA(a);
    expect((await h.group(A)).handover).toEqual({ toGroup: B, deferred: [2] });
    expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['PendingDeletion', 'Enabled']);
    await aliasWorks('after the Delete of A');
    expect((await scheduleB(b, HOUR)).slice(0, 2)).toEqual(['promoted', 'completed']);
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    expect(h.sim.state.key(a2)!.state).toBe('PendingDeletion');
    const promotedAt = Date.parse((await h.group(B)).takeover!.promotedAt!);
    expect(Date.parse((await h.group(A)).generations[1].deletionScheduledAt!) - promotedAt).toBeGreaterThanOrEqual(WINDOW_MS);
    // B rotates on, under B's statements only.
    await f.rotation(rotateNow(ALIAS, B));
    expect((await scheduleB(b, HOUR)).slice(0, 2)).toEqual(['promoted', 'completed']);
    const last = written[written.length - 1];
    expect(await h.decrypt(last.ciphertext)).toBe(last.text);
    expect(functionDenials()).toEqual([]);
    expect(h.sim.authorization.decisions.allowed({ principal: b.rotation.arn, operation: 'ScheduleKeyDeletion' })).toBe(1);
    expect(h.log.errors()).toEqual([]);
    expect(h.log.lines.filter((l) => l.level === 'warn' && /retained/.test(l.message))).toEqual([]);
  });

  test('DESTROY, A deleted after B\'s promotion: every key of A is scheduled for deletion at once; never denied', async () => {
    const { a, b } = templates(RemovalPolicy.DESTROY);
    await start(a);
    const [a1, a2] = await deployA(a);
    await replace(a, b);
    h.sim.clock.advance(WINDOW_MS + SCHEDULE_PERIOD_MS);
    expect((await f.rotation(b.scheduleInput)).outcome).toBe('promoted');
    const b1 = (await h.group(B)).generations[0];
    h.sim.clock.advance(5000);
    await deleteA(a);
    expect((await h.group(A)).handover).toEqual({ toGroup: B, deferred: [] });
    expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['PendingDeletion', 'PendingDeletion']);
    expect(h.aliasTarget(ALIAS)).toBe(b1.keyId);
    await aliasWorks('after the Delete of A');
    expect((await scheduleB(b, HOUR)).slice(0, 1)).toEqual(['completed']);
    expect(functionDenials()).toEqual([]);
    expect(h.log.errors()).toEqual([]);
  });

  test('RETAIN: B takes the alias over; A\'s Delete keeps every key of A; never denied', async () => {
    const { a, b } = templates(RemovalPolicy.RETAIN);
    await start(a);
    const [a1, a2] = await deployA(a);
    await aliasWorks('before the replacement');
    await replace(a, b);
    h.sim.clock.advance(5000);
    await deleteA(a);
    expect((await h.group(A)).status).toBe('retained');
    expect((await scheduleB(b, HOUR)).slice(0, 2)).toEqual(['promoted', 'completed']);
    expect(h.aliasTarget(ALIAS)).toBe(currentGeneration(await h.group(B))!.keyId);
    expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['Enabled', 'Enabled']);
    for (const w of written) expect(await h.decrypt(w.ciphertext)).toBe(w.text);
    expect(functionDenials()).toEqual([]);
    expect(h.log.errors()).toEqual([]);
  });

  for (const when of ['before', 'after'] as const) {
    test(`a rolled-back replacement (B deleted ${when} its promotion, under A's template again) gives the alias back and removes B's keys; never denied`, async () => {
      const { a, b } = templates(RemovalPolicy.DESTROY);
      await start(a);
      const [a1, a2] = await deployA(a);
      await replace(a, b);
      if (when === 'after') {
        h.sim.clock.advance(WINDOW_MS + SCHEDULE_PERIOD_MS);
        expect((await f.rotation(b.scheduleInput)).outcome).toBe('promoted');
        expect(h.aliasTarget(ALIAS)).not.toBe(a2);
      }
      const b1 = (await h.group(B)).generations[0];
      // The rollback: CloudFormation puts A's template back (policies first), updates A's physical id, then deletes B's.
      apply(a);
      await f.lifecycle(cfnEvent('Update', a.resourceProperties, { PhysicalResourceId: B, OldResourceProperties: b.resourceProperties }));
      h.sim.clock.advance(3000);
      await f.lifecycle(cfnEvent('Delete', b.resourceProperties, { PhysicalResourceId: B }));
      expect(h.aliasTarget(ALIAS)).toBe(a2);
      expect(await h.ledger.groupOfAlias(ALIAS)).toBe(A);
      expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state, h.sim.state.key(b1.keyId)!.state]).toEqual(['Enabled', 'Enabled', 'PendingDeletion']);
      h.sim.clock.advance(5000);
      await aliasWorks('after the rollback');
      await f.rotation(rotateNow(ALIAS, A));
      expect((await h.runSchedule(f, HOUR, rotateIfDue(ALIAS, A))).slice(0, 2).map((o) => o.outcome)).toEqual(['promoted', 'completed']);
      expect(functionDenials()).toEqual([]);
      expect(h.log.errors()).toEqual([]);
    });
  }

  for (const when of ['before', 'after'] as const) {
    test(`keys made before the stack tag: B still takes the alias over; A's Delete (DESTROY, ${when} B's promotion) retains A's keys with one warning naming them`, async () => {
      const { a, b } = templates(RemovalPolicy.DESTROY);
      const old = beforeTheStackTag(a);
      await start(old);
      const [a1, a2] = await deployA(old);
      expect(h.sim.state.key(a1)!.tags['rotation:stack']).toBeUndefined();
      await aliasWorks('before the replacement');
      await replace(old, b);
      expect((await h.group(B)).takeover).toMatchObject({ fromGroup: A, keyId: a2 });
      if (when === 'after') {
        h.sim.clock.advance(WINDOW_MS + SCHEDULE_PERIOD_MS);
        expect((await f.rotation(b.scheduleInput)).outcome).toBe('promoted');
      }
      h.sim.clock.advance(5000);
      await deleteA(old);
      expect((await scheduleB(b, HOUR)).slice(0, when === 'before' ? 2 : 1)).toEqual(when === 'before' ? ['promoted', 'completed'] : ['completed']);
      expect(h.aliasTarget(ALIAS)).toBe(currentGeneration(await h.group(B))!.keyId);
      expect([h.sim.state.key(a1)!.state, h.sim.state.key(a2)!.state]).toEqual(['Enabled', 'Enabled']);
      for (const w of written) expect(await h.decrypt(w.ciphertext)).toBe(w.text);
      const warnings = h.log.lines.filter((l) => l.level === 'warn' && /keys of the replaced group retained/.test(l.message));
      const named = warnings.flatMap((w) => w.attributes.keyArns as string[]);
      expect(named.sort()).toEqual([a1, a2].map((k) => h.sim.state.key(k)!.arn).sort());
      expect(warnings).toHaveLength(when === 'before' ? 2 : 1);
      // The only denials: the deletions the policies do not allow (the warning's keys); the takeover itself never.
      const denied = functionDenials().map((x: any) => [x.principal === old.lifecycle.arn ? 'lifecycle' : 'rotation', x.operation]);
      expect(denied).toEqual(when === 'before' ? [['lifecycle', 'ScheduleKeyDeletion'], ['rotation', 'ScheduleKeyDeletion']] : [['lifecycle', 'ScheduleKeyDeletion']]);
      expect((await h.group(A)).handover!.retained!.slice().sort()).toEqual([1, 2]);
      expect(h.log.errors()).toEqual([]);
    });
  }
});
