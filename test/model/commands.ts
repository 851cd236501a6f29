/**
 * The commands of a history (fast-check model-based testing). Each command is
 * one step (a scheduled command may run up to three schedule periods, each
 * checked): it acts through the functions' entry points (or the test's own
 * clients), updates the model, then checks every invariant. A violation stops
 * the history by throwing `ViolationsFound`.
 *
 * Commands hold only their generated parameters (fast-check reuses them while
 * shrinking); everything they learn goes into the model (`History`).
 */
import fc from 'fast-check';
import { MS_PER_DAY, MS_PER_HOUR } from '../kms-simulator';
import { checkStep, readerDecrypts, StepKind, StepRecord, writerEncrypts } from './checks';
import { ModelEnv } from './env';
import { describeFault, Fault, faultArbitrary, NO_FAULT } from './faults';
import {
  describeOutcome, History, InvocationRequest, InvocationResult, invoke, invokeTogether, ledgerOf, Phase, propsOf, recordBefore, scheduleEvent,
} from './history';
import { RemovalChoice } from './policies';
import { cfnEvent } from '../rotation/fixtures';
import { SCHEDULE_PERIOD_MS } from '../rotation/harness';

export type Cmd = fc.AsyncCommand<History, ModelEnv>;

export class ViolationsFound extends Error {
  constructor(readonly violations: string[]) {
    super(violations.join('\n'));
    this.name = 'ViolationsFound';
  }
}

/** Commands executed per history, at most (commands beyond are generated but skipped). */
export const MAX_STEPS = 25;

export interface Acted {
  readonly kind: StepKind;
  readonly invocations: InvocationResult[];
  readonly concurrent?: boolean;
  readonly forged?: StepRecord['forged'];
  readonly tampered?: StepRecord['tampered'];
  /** Violations the act itself found (the writer denied while it encrypted, …). */
  readonly violations?: string[];
  /** Shown in the trace. */
  readonly note?: string;
}

export abstract class Step implements Cmd {
  abstract toString(): string;

  check(m: Readonly<History>): boolean {
    return m.steps < MAX_STEPS && this.allowed(m);
  }

  async run(m: History, env: ModelEnv): Promise<void> {
    m.steps += 1;
    await this.perform(m, env);
  }

  /** One checked sub-step: act, record, check every invariant. */
  protected async checked(m: History, env: ModelEnv, label: string, act: () => Promise<Acted>): Promise<void> {
    const recBefore = recordBefore(m);
    const phaseBefore = m.group.phase;
    const a = await act();
    const outcomes = a.invocations.map((r) => `${r.label}: ${describeOutcome(r)}`).join('; ');
    m.trace.push(`${label}${outcomes ? `  -> ${outcomes}` : ''}${a.note ? `  (${a.note})` : ''}  @ ${env.h.sim.clock.now().toISOString()}`);
    const record: StepRecord = {
      kind: a.kind, invocations: a.invocations, concurrent: a.concurrent ?? false, recBefore, phaseBefore, forged: a.forged, tampered: a.tampered,
    };
    const violations = [...(a.violations ?? []), ...await checkStep(env, m, record)];
    if (violations.length > 0) {
      m.violations.push(...violations);
      throw new ViolationsFound(violations);
    }
  }

  protected async perform(m: History, env: ModelEnv): Promise<void> {
    await this.checked(m, env, this.toString(), () => this.act(m, env));
  }

  /** Whether the command makes sense in the model's state (its precondition). */
  protected abstract allowed(m: Readonly<History>): boolean;
  protected abstract act(m: History, env: ModelEnv): Promise<Acted>;
}

export const phaseIs = (m: Readonly<History>, ...p: Phase[]) => p.includes(m.group.phase);

// ---------------------------------------------------------------------------
// The clock.

export type ClockAdvance =
  | { readonly to: 'minutes' | 'hours' | 'days'; readonly n: number }
  /** To the ledger's next due date, or to the configured hour on (or after) it. */
  | { readonly to: 'due' | 'due-hour' }
  /** To the next configured hour (03:00 UTC), plus some minutes. */
  | { readonly to: 'hour'; readonly n: number }
  /** Past the lease of a lock a dead run may hold. */
  | { readonly to: 'lease' };

export class AdvanceClock extends Step {
  constructor(readonly by: ClockAdvance) { super(); }
  protected allowed(): boolean { return true; }
  toString(): string {
    const b = this.by;
    switch (b.to) {
      case 'due': return 'advance to the due date';
      case 'due-hour': return 'advance to the configured hour on (or after) the due date';
      case 'lease': return 'advance past the lease of a lock a dead run may hold';
      case 'hour': return `advance to the next configured hour + ${b.n} min`;
      default: return `advance ${b.n} ${b.to}`;
    }
  }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const clock = env.h.sim.clock;
    const now = clock.now().getTime();
    const hour = Number(m.group.props.ScheduleHour);
    const nextHour = (from: number, plusMinutes: number) => {
      const t = new Date(from);
      t.setUTCHours(hour, plusMinutes, 0, 0);
      if (t.getTime() <= from) t.setUTCDate(t.getUTCDate() + 1);
      return t.getTime();
    };
    const b = this.by;
    let to = now;
    if (b.to === 'minutes') {to = now + b.n * 60_000;} else if (b.to === 'hours') {to = now + b.n * MS_PER_HOUR;} else if (b.to === 'days') {to = now + b.n * MS_PER_DAY;} else if (b.to === 'hour') {to = nextHour(now, b.n);} else if (b.to === 'lease') {to = Math.max(now, m.group.lockMayBeHeldUntil) + 1000;} else {
      const rec = recordBefore(m);
      const due = rec?.nextDueAt ? Date.parse(rec.nextDueAt) : now;
      to = b.to === 'due' ? due : nextHour(due - 1, 0);
    }
    if (to > now) clock.advance(to - now);
    return { kind: 'clock', invocations: [] };
  }
}

// ---------------------------------------------------------------------------
// The writer and the reader.

export class Encrypt extends Step {
  constructor(readonly times: number) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string { return `the writer encrypts ${this.times}x through the alias`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const violations: string[] = [];
    for (let i = 0; i < this.times; i++) violations.push(...await writerEncrypts(env, m, `step ${m.steps} #${i + 1}`));
    return { kind: 'encrypt', invocations: [], violations };
  }
}

export class DecryptAll extends Step {
  protected allowed(m: Readonly<History>): boolean { return m.group.kept.length > 0 && !phaseIs(m, 'destroyed', 'creating'); }
  toString(): string { return 'the reader decrypts every ciphertext kept'; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    return { kind: 'decrypt', invocations: [], violations: await readerDecrypts({ env, hist: m }, 'all'), note: `${m.group.kept.length} ciphertexts` };
  }
}

// ---------------------------------------------------------------------------
// Rotations.

/** `runs` schedule periods: each moves the clock 10 minutes and fires the schedule (the fault hits the first). */
export class ScheduledRuns extends Step {
  constructor(readonly runs: number, readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live', 'deleting'); }
  toString(): string { return `${this.runs} scheduled run(s) 10 min apart${describeFault(this.fault)}`; }
  protected async perform(m: History, env: ModelEnv): Promise<void> {
    for (let i = 0; i < this.runs && phaseIs(m, 'live', 'deleting'); i++) {
      const fault = i === 0 ? this.fault : NO_FAULT;
      await this.checked(m, env, `scheduled run ${i + 1}/${this.runs}${describeFault(fault)}`, async () => {
        env.h.sim.clock.advance(SCHEDULE_PERIOD_MS);
        const r = await invoke(env, m, { label: 'rotate-if-due', entry: 'rotation', event: scheduleEvent(m.group), fault });
        return { kind: 'scheduled', invocations: [r] };
      });
    }
  }
  protected act(): Promise<Acted> { throw new Error('unused'); }
}

export class EmergencyRun extends Step {
  constructor(readonly withGroupId: boolean, readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string { return `rotate-now${this.withGroupId ? ' (with groupId)' : ''}${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    g.emergencies += 1;
    const event = { action: 'rotate-now', aliasName: g.aliasName, ...(this.withGroupId ? { groupId: g.groupId } : {}) };
    return { kind: 'emergency', invocations: [await invoke(env, m, { label: 'rotate-now', entry: 'rotation', event, fault: this.fault })] };
  }
}

// ---------------------------------------------------------------------------
// Stack operations.

const AUDIT_STATEMENT = { Sid: 'AllowAuditDescribe', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/audit' }, Action: 'kms:DescribeKey', Resource: '*' };
const APP_STATEMENT = { Sid: 'AllowAppUse', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/app' }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' };
const POLICIES: Record<string, string> = { none: '[]', audit: JSON.stringify([AUDIT_STATEMENT]), app: JSON.stringify([AUDIT_STATEMENT, APP_STATEMENT]) };
const TAG_SETS: Record<string, string> = { platform: '{"team":"platform"}', data: '{"team":"data","cost-center":"42"}', none: '{}' };
const DESCRIPTIONS: Record<string, string> = { model: 'model key', renamed: 'Rotated data key', empty: '' };
const INTERVALS = [1, 2, 3, 6, 12] as const;

export interface StackChange {
  readonly intervalMonths?: number;
  readonly policy?: string;
  readonly tags?: string;
  readonly description?: string;
  /** A new alias name (a suffix of the group's alias). */
  readonly rename?: boolean;
  readonly removal?: RemovalChoice;
}

export function describeChange(c: StackChange): string {
  const parts = [
    c.intervalMonths !== undefined ? `interval ${c.intervalMonths}` : '',
    c.policy !== undefined ? `policy ${c.policy}` : '',
    c.tags !== undefined ? `tags ${c.tags}` : '',
    c.description !== undefined ? `description ${c.description}` : '',
    c.rename ? 'alias renamed' : '',
    c.removal !== undefined ? `removal ${c.removal}` : '',
  ].filter((p) => p);
  return parts.length > 0 ? parts.join(', ') : 'no change';
}

/** What the stack declares after the change (a renamed alias gets a new name each time). */
function changedStack(m: History, env: ModelEnv, c: StackChange) {
  const g = m.group;
  const aliasName = c.rename ? `alias/model-${m.id}-${g.aliasesEver.size}` : g.aliasName;
  const removal = c.removal ?? (g.props.RemovalPolicy as RemovalChoice);
  const stack = env.groupStack(removal, g.groupId, aliasName);
  const props = propsOf(stack, {
    IntervalMonths: c.intervalMonths !== undefined ? String(c.intervalMonths) : g.props.IntervalMonths,
    KeyPolicyStatements: c.policy !== undefined ? POLICIES[c.policy] : g.props.KeyPolicyStatements,
    Tags: c.tags !== undefined ? TAG_SETS[c.tags] : g.props.Tags,
    Description: c.description !== undefined ? DESCRIPTIONS[c.description] : g.props.Description,
  });
  return { stack, props, aliasName };
}

export function updateEvent(props: Record<string, string>, old: Record<string, string>): Record<string, unknown> {
  return cfnEvent('Update', props, { OldResourceProperties: old });
}

/**
 * Applies what an update's outcome means for the model. A failed update is
 * rolled back by CloudFormation at once: IAM first, then an Update back to the
 * old properties (no fault); after a death the rollback may find the lock held
 * and is continued once the lease has passed.
 */
async function settleUpdate(
  m: History, env: ModelEnv, r: InvocationResult, next: ReturnType<typeof changedStack>, invocations: InvocationResult[],
): Promise<string | undefined> {
  const g = m.group;
  if (!r.error && !r.death) {
    if (next.aliasName !== g.aliasName) g.aliasCreatedAt = env.h.sim.clock.now().getTime();
    g.props = next.props;
    g.stack = next.stack;
    g.aliasName = next.aliasName;
    g.intervalsEver.add(Number(next.props.IntervalMonths));
    return undefined;
  }
  const old = g.props;
  env.applyPolicies(g.stack);
  for (let attempt = 1; attempt <= 2; attempt++) {
    const rollback = await invoke(env, m, { label: attempt === 1 ? 'rollback update' : 'continue rollback', entry: 'lifecycle', event: updateEvent(old, next.props) });
    invocations.push(rollback);
    if (!rollback.error && !rollback.death) return attempt === 1 ? 'rolled back' : 'rolled back after the lease';
    if (attempt === 1) env.h.sim.clock.advance(Math.max(0, m.group.lockMayBeHeldUntil - env.h.sim.clock.now().getTime()) + 1000);
  }
  // The rollback failed too: the stack is UPDATE_ROLLBACK_FAILED; the ledger may hold either settings.
  g.intervalsEver.add(Number(next.props.IntervalMonths));
  return 'rollback failed';
}

export class StackUpdate extends Step {
  constructor(readonly change: StackChange, readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string { return `stack update (${describeChange(this.change)})${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    const next = changedStack(m, env, this.change);
    g.aliasesEver.add(next.aliasName);
    g.intervalsEver.add(Number(next.props.IntervalMonths));
    env.applyPolicies(next.stack);
    const r = await invoke(env, m, { label: 'update', entry: 'lifecycle', event: updateEvent(next.props, g.props), fault: this.fault });
    const invocations = [r];
    const note = await settleUpdate(m, env, r, next, invocations);
    return { kind: 'update', invocations, note };
  }
}

/** Learns the group's phase from a Delete's outcome and the ledger. */
async function settleDelete(m: History, env: ModelEnv, r: InvocationResult): Promise<void> {
  const g = m.group;
  if (r.error || r.death) {
    g.phase = 'deleting';
    return;
  }
  const rec = await ledgerOf(env, m);
  g.phase = rec?.status === 'destroyed' ? 'destroyed' : 'retained';
  // Invariant 1's exception: the user asked for every generation to go.
  if (g.phase === 'destroyed') g.kept = [];
}

export class Delete extends Step {
  constructor(readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live', 'deleting'); }
  toString(): string { return `delete the stack${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    if (g.props.RemovalPolicy === 'destroy') g.destroyRequested = true;
    const r = await invoke(env, m, { label: `delete (${g.props.RemovalPolicy})`, entry: 'lifecycle', event: cfnEvent('Delete', g.props), fault: this.fault });
    await settleDelete(m, env, r);
    return { kind: 'delete', invocations: [r], note: `group ${g.phase}` };
  }
}

/** The stack deployed (again): the first deploy, after a failed one, or after a delete (RETAIN carries on, DESTROY starts over). */
export class Deploy extends Step {
  constructor(readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'creating', 'retained', 'destroyed'); }
  toString(): string { return `deploy the stack${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    const fresh = g.phase !== 'retained';
    env.applyPolicies(g.stack);
    const r = await invoke(env, m, { label: 'create', entry: 'lifecycle', event: cfnEvent('Create', g.props), fault: this.fault });
    if (!r.error && !r.death) {
      g.phase = 'live';
      if (fresh) g.aliasCreatedAt = r.endedAt;
    } else {
      g.phase = 'creating';
    }
    return { kind: 'create', invocations: [r] };
  }
}

// ---------------------------------------------------------------------------
// Two invocations at once.

export type ConcurrentAction = 'rotate-if-due' | 'rotate-now' | 'update' | 'delete' | 'encrypt';

export class Concurrent extends Step {
  constructor(readonly a: ConcurrentAction, readonly b: ConcurrentAction, readonly change: StackChange) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string {
    const name = (x: ConcurrentAction) => (x === 'update' ? `stack update (${describeChange(this.change)})` : x);
    return `at once: ${name(this.a)} || ${name(this.b)}`;
  }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    // IAM does not change under a running function here: no rename, no removal policy change.
    const change: StackChange = { ...this.change, rename: false, removal: undefined };
    const next = changedStack(m, env, change);
    const old = g.props;
    const requestOf = (x: ConcurrentAction): InvocationRequest | undefined => {
      switch (x) {
        case 'update': return { label: 'update', entry: 'lifecycle', event: updateEvent(next.props, old) };
        case 'delete':
          if (g.props.RemovalPolicy === 'destroy') g.destroyRequested = true;
          return { label: `delete (${g.props.RemovalPolicy})`, entry: 'lifecycle', event: cfnEvent('Delete', g.props) };
        case 'rotate-now':
          g.emergencies += 1;
          return { label: 'rotate-now', entry: 'rotation', event: { action: 'rotate-now', aliasName: g.aliasName } };
        case 'rotate-if-due': return { label: 'rotate-if-due', entry: 'rotation', event: scheduleEvent(g) };
        case 'encrypt': return undefined;
      }
    };
    const [ra, rb] = [requestOf(this.a), requestOf(this.b)];
    const violations: string[] = [];
    let invocations: InvocationResult[];
    if (ra && rb) {
      invocations = await invokeTogether(env, m, ra, rb);
    } else {
      // The writer encrypts while the function runs.
      const req = ra ?? rb ?? { label: 'rotate-if-due', entry: 'rotation', event: scheduleEvent(g) };
      const writer = (async () => {
        for (let i = 0; i < 3; i++) {
          violations.push(...await writerEncrypts(env, m, `during ${req.label} #${i + 1}`));
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const [r] = await Promise.all([invoke(env, m, req), writer]);
      m.faults.count('concurrent', true);
      invocations = [r];
    }
    const update = invocations.find((r) => r.label === 'update');
    const del = invocations.find((r) => r.label.startsWith('delete'));
    const notes: string[] = [];
    if (del) {
      await settleDelete(m, env, del);
      notes.push(`group ${g.phase}`);
    }
    if (update && g.phase === 'live') {
      const note = await settleUpdate(m, env, update, next, invocations);
      if (note) notes.push(note);
    } else if (update && !update.error) {
      g.props = next.props;
    }
    return { kind: 'concurrent', invocations, concurrent: true, violations, note: notes.join('; ') || undefined };
  }
}

// ---------------------------------------------------------------------------
// Forged events: what the rotation entry point must refuse before touching anything.

export const FORGED_EVENTS = ['cfn-create', 'cfn-update', 'cfn-delete', 'settings', 'unknown-action', 'generation-alias'] as const;
export type ForgedKind = typeof FORGED_EVENTS[number];

export class ForgedEvent extends Step {
  constructor(readonly forged: ForgedKind) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string { return `forged event to the rotation entry point (${this.forged})`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    const event = ((): unknown => {
      switch (this.forged) {
        case 'cfn-create': return cfnEvent('Create', { ...g.props, IntervalMonths: '1' });
        case 'cfn-update': return cfnEvent('Update', { ...g.props, IntervalMonths: '1', KeyPolicyStatements: POLICIES.app }, { OldResourceProperties: g.props });
        case 'cfn-delete': return cfnEvent('Delete', { ...g.props, RemovalPolicy: 'destroy' });
        case 'settings': return { action: 'rotate-now', aliasName: g.aliasName, IntervalMonths: '1', RemovalPolicy: 'destroy' };
        case 'unknown-action': return { action: 'delete', aliasName: g.aliasName, groupId: g.groupId };
        case 'generation-alias': return { action: 'rotate-now', aliasName: `alias/rotation/${g.groupId}/generation-1` };
      }
    })();
    const simCallsBefore = env.h.sim.calls.count();
    const readsBefore = env.h.db.reads.length;
    const r = await invoke(env, m, { label: `forged ${this.forged}`, entry: 'rotation', event });
    return {
      kind: 'forged',
      invocations: [r],
      forged: { simCallsBefore, simCallsAfter: env.h.sim.calls.count(), readsBefore, readsAfter: env.h.db.reads.length },
    };
  }
}

// ---------------------------------------------------------------------------
// Sabotage: the admin breaks what an invariant protects (checks.test.ts shows each check notices).

export const SABOTAGE = ['delete-current-key', 'deny-writer', 'leak-material', 'unfence-retired', 'stray-attempt-key', 'alias-to-forged-key'] as const;
export type SabotageKind = typeof SABOTAGE[number];

export class Sabotage extends Step {
  constructor(readonly what: SabotageKind) { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string { return `sabotage: ${this.what}`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    const rec = recordBefore(m);
    const current = rec?.generations.find((x) => x.stage === 'current');
    const retired = rec?.generations.find((x) => x.stage === 'retired');
    switch (this.what) {
      case 'delete-current-key':
        await env.admin.call('ScheduleKeyDeletion', { KeyId: current!.keyId, PendingWindowInDays: 7 });
        break;
      case 'deny-writer': {
        const policy = JSON.parse(env.h.sim.state.key(current!.keyId)!.policy);
        policy.Statement.push({ Sid: 'Sabotage', Effect: 'Deny', Principal: { AWS: g.stack.stack.roles.writer.arn }, Action: 'kms:Encrypt', Resource: '*' });
        await env.admin.call('PutKeyPolicy', { KeyId: current!.keyId, PolicyName: 'default', Policy: JSON.stringify(policy) });
        break;
      }
      case 'leak-material': {
        const material = env.h.sim.state.importedMaterials().slice(m.materialsFrom).pop()!;
        await env.admin.call('TagResource', { KeyId: current!.keyId, Tags: [{ TagKey: 'debug', TagValue: material.toString('hex') }] });
        break;
      }
      case 'unfence-retired': {
        const policy = JSON.parse(env.h.sim.state.key(retired!.keyId)!.policy);
        policy.Statement = policy.Statement.filter((x: { Sid?: string }) => x.Sid !== 'RotationRetiredDecryptOnly');
        await env.admin.call('PutKeyPolicy', { KeyId: retired!.keyId, PolicyName: 'default', Policy: JSON.stringify(policy) });
        break;
      }
      case 'stray-attempt-key':
        await env.admin.call('CreateKey', { Origin: 'EXTERNAL', Tags: [{ TagKey: 'rotation:group', TagValue: g.groupId }, { TagKey: 'rotation:attempt', TagValue: 'stray' }] });
        break;
      case 'alias-to-forged-key':
        await env.admin.call('UpdateAlias', { AliasName: g.aliasName, TargetKeyId: m.forgedKeyId });
        break;
    }
    return { kind: 'clock', invocations: [] };
  }
}

// ---------------------------------------------------------------------------
// Arbitraries.

function changeArbitrary(): fc.Arbitrary<StackChange> {
  return fc.record({
    intervalMonths: fc.constantFrom(...INTERVALS),
    policy: fc.constantFrom(...Object.keys(POLICIES)),
    tags: fc.constantFrom(...Object.keys(TAG_SETS)),
    description: fc.constantFrom(...Object.keys(DESCRIPTIONS)),
    rename: fc.constant(true),
    removal: fc.constantFrom<RemovalChoice>('retain', 'destroy'),
  }, { requiredKeys: [] });
}

export function clockArbitrary(): fc.Arbitrary<ClockAdvance> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ to: fc.constant('minutes' as const), n: fc.integer({ min: 1, max: 59 }) }) },
    { weight: 2, arbitrary: fc.record({ to: fc.constant('hours' as const), n: fc.integer({ min: 1, max: 23 }) }) },
    { weight: 2, arbitrary: fc.record({ to: fc.constant('days' as const), n: fc.integer({ min: 1, max: 45 }) }) },
    { weight: 5, arbitrary: fc.record({ to: fc.constantFrom('due' as const, 'due-hour' as const) }) },
    { weight: 1, arbitrary: fc.record({ to: fc.constant('hour' as const), n: fc.integer({ min: 0, max: 9 }) }) },
    { weight: 1, arbitrary: fc.record({ to: fc.constant('lease' as const) }) },
  );
}

export interface CommandOptions {
  /** Include stack deletion and re-deployment (default true). */
  readonly lifecycle?: boolean;
  /** Also lose answers after the operation took effect (default false). */
  readonly lostResponses?: boolean;
  /**
   * Histories with the tampering actor (tampering.ts): shorter, half of their commands the actor's,
   * the others without injected faults (the ordinary histories cover those) (default false).
   */
  readonly tampering?: boolean;
}

export function commandArbitrary(o: CommandOptions = {}): fc.Arbitrary<Cmd> {
  const fault = o.tampering ? fc.constant(NO_FAULT) : faultArbitrary({ lostResponses: o.lostResponses });
  const action = fc.constantFrom<ConcurrentAction>('rotate-if-due', 'rotate-now', 'update', 'delete', 'encrypt');
  const weighted: Array<{ weight: number; arbitrary: fc.Arbitrary<Cmd> }> = [
    { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fault).map(([n, f]): Cmd => new ScheduledRuns(n, f)) },
    { weight: 4, arbitrary: clockArbitrary().map((by): Cmd => new AdvanceClock(by)) },
    { weight: 2, arbitrary: fc.tuple(fc.boolean(), fault).map(([withGroupId, f]): Cmd => new EmergencyRun(withGroupId, f)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((n): Cmd => new Encrypt(n)) },
    { weight: 1, arbitrary: fc.constant<Cmd>(new DecryptAll()) },
    { weight: 2, arbitrary: fc.tuple(changeArbitrary(), fault).map(([c, f]): Cmd => new StackUpdate(c, f)) },
    { weight: 2, arbitrary: fc.tuple(action, action, changeArbitrary()).map(([a, b, c]): Cmd => new Concurrent(a, b, c)) },
    { weight: 1, arbitrary: fc.constantFrom(...FORGED_EVENTS).map((k): Cmd => new ForgedEvent(k)) },
  ];
  if (o.lifecycle !== false) {
    weighted.push(
      { weight: 1, arbitrary: fault.map((f): Cmd => new Delete(f)) },
      { weight: 3, arbitrary: fault.map((f): Cmd => new Deploy(f)) },
    );
  }
  return fc.oneof(...weighted);
}

/** Start of a history: any time of 2026-2028, often at the end of a month (calendar clamping) or near the configured hour. */
export function startArbitrary(): fc.Arbitrary<Date> {
  const base = Date.UTC(2026, 0, 1);
  return fc.oneof(
    fc.integer({ min: 0, max: 3 * 365 * 24 - 1 }).map((h) => new Date(base + h * MS_PER_HOUR)),
    fc.tuple(fc.integer({ min: 0, max: 35 }), fc.integer({ min: 0, max: 23 })).map(([m, hour]) => new Date(Date.UTC(2026, m + 1, 0, hour, 30))),
    fc.tuple(fc.integer({ min: 0, max: 35 }), fc.integer({ min: 0, max: 27 }), fc.integer({ min: 0, max: 59 }))
      .map(([m, day, minute]) => new Date(Date.UTC(2026, m, day + 1, 2, minute))),
  );
}

export function intervalArbitrary(): fc.Arbitrary<number> {
  return fc.constantFrom(...INTERVALS);
}

/** The first deploy of every history (not a generated command). */
export function firstDeploy(): Cmd {
  return new Deploy(NO_FAULT);
}
