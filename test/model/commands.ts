/**
 * The commands of a history (fast-check model-based testing). Each command is
 * one step: it acts on the simulator through the function (or the test's own
 * client), updates the model, then checks every invariant. A violation stops
 * the history by throwing `ViolationsFound`.
 *
 * Commands hold only their generated parameters (fast-check reuses them while
 * shrinking); everything they learn goes into the model (`History`).
 */
import fc from 'fast-check';
import { checkStep, currentGeneration, historyView, noteIntervals, StepKind, StepRecord } from './checks';
import { ModelEnv } from './env';
import { describeFault, Fault, faultArbitrary, NO_FAULT } from './faults';
import { describeOutcome, GroupState, History, InvocationResult, invoke, invokeTogether, newGroup, outcomeOf } from './history';
import { addCalendarMonths } from '../../lambda/rotation/dates';
import { MS_PER_DAY, MS_PER_HOUR } from '../kms-simulator';
import { cfnEvent } from '../rotation/fixtures';

export type Cmd = fc.AsyncCommand<History, ModelEnv>;

export class ViolationsFound extends Error {
  constructor(readonly violations: string[]) {
    super(violations.join('\n'));
    this.name = 'ViolationsFound';
  }
}

/** Executed steps per history, at most (commands beyond are generated but skipped). */
export const MAX_STEPS = 25;

abstract class Step implements Cmd {
  abstract toString(): string;

  check(m: Readonly<History>): boolean {
    return m.steps < MAX_STEPS && this.allowed(m);
  }

  async run(m: History, env: ModelEnv): Promise<void> {
    m.steps += 1;
    const view = historyView(env, m);
    const generationBefore = m.group.phase === 'live' ? currentGeneration(view, m.group) : undefined;
    const intervalsBefore = new Set(m.group.intervals);
    const { kind, invocations } = await this.act(m, env);
    const step: StepRecord = { kind, invocations, generationBefore, intervalsBefore };
    if (m.group.phase === 'live') noteIntervals(view, m.group, step);
    const outcomes = invocations.map((r) => `${r.label}: ${describeOutcome(r)}`).join('; ');
    m.trace.push(`${this.toString()}${outcomes ? `  -> ${outcomes}` : ''}  @ ${env.h.sim.clock.now().toISOString()}`);
    const violations = await checkStep(env, m, step);
    if (violations.length > 0) {
      m.violations.push(...violations);
      throw new ViolationsFound(violations);
    }
  }

  /** Whether the command makes sense in the model's state (its precondition). */
  protected abstract allowed(m: Readonly<History>): boolean;
  protected abstract act(m: History, env: ModelEnv): Promise<{ kind: StepKind; invocations: InvocationResult[] }>;
}

/** What a rotation run's result tells the model. */
function learnFromRotation(env: ModelEnv, g: GroupState, r: InvocationResult): void {
  if (r.error) {
    g.pendingPossible = true;
    g.lastDeathAt = env.h.sim.clock.now().getTime();
    return;
  }
  const outcome = outcomeOf(r);
  if (outcome === 'rotated' || outcome === 'not-due') {
    g.pendingPossible = false;
  }
}

const isLive = (m: Readonly<History>) => m.group.phase === 'live';

// ---------------------------------------------------------------------------

export type ClockAdvance = { readonly unit: 'hours' | 'days' | 'months'; readonly n: number };

export class AdvanceClock extends Step {
  constructor(readonly by: ClockAdvance) { super(); }
  protected allowed(): boolean { return true; }
  toString(): string { return `advance ${this.by.n} ${this.by.unit}`; }
  protected async act(_m: History, env: ModelEnv) {
    const clock = env.h.sim.clock;
    const now = clock.now();
    const to = this.by.unit === 'hours' ? new Date(now.getTime() + this.by.n * MS_PER_HOUR)
      : this.by.unit === 'days' ? new Date(now.getTime() + this.by.n * MS_PER_DAY)
        : addCalendarMonths(now, this.by.n);
    clock.advance(to.getTime() - now.getTime());
    return { kind: 'clock' as const, invocations: [] };
  }
}

export class Encrypt extends Step {
  protected allowed(m: Readonly<History>): boolean { return isLive(m); }
  toString(): string { return 'encrypt through the alias'; }
  protected async act(m: History, env: ModelEnv) {
    const plaintext = `history ${m.id} step ${m.steps}`;
    try {
      m.group.kept.push({ plaintext, ciphertext: await env.h.encrypt(m.group.aliasName, plaintext) });
    } catch (e) {
      m.violations.push(`2: Encrypt through ${m.group.aliasName} failed: ${(e as Error).name}: ${(e as Error).message}`);
      throw new ViolationsFound(m.violations.slice(-1));
    }
    return { kind: 'encrypt' as const, invocations: [] };
  }
}

export class ScheduledRun extends Step {
  constructor(readonly withGroupId: boolean, readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return isLive(m); }
  toString(): string { return `rotate-if-due${this.withGroupId ? ' (with groupId)' : ''}${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv) {
    const g = m.group;
    const event = { action: 'rotate-if-due', aliasName: g.aliasName, ...(this.withGroupId ? { groupId: g.groupId } : {}) };
    const r = await invoke(env, m, 'rotate-if-due', event, this.fault);
    learnFromRotation(env, g, r);
    return { kind: 'scheduled' as const, invocations: [r] };
  }
}

export class EmergencyRun extends Step {
  constructor(readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean { return isLive(m); }
  toString(): string { return `rotate-now${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv) {
    const g = m.group;
    g.emergencies += 1;
    const r = await invoke(env, m, 'rotate-now', { action: 'rotate-now', aliasName: g.aliasName }, this.fault);
    learnFromRotation(env, g, r);
    return { kind: 'emergency' as const, invocations: [r] };
  }
}

// ---------------------------------------------------------------------------

const AUDIT_STATEMENT = { Sid: 'AllowAuditDescribe', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/audit' }, Action: 'kms:DescribeKey', Resource: '*' };
const APP_STATEMENT = { Sid: 'AllowAppUse', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/app' }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' };
const POLICIES: Record<string, string> = { none: '[]', audit: JSON.stringify([AUDIT_STATEMENT]), app: JSON.stringify([AUDIT_STATEMENT, APP_STATEMENT]) };
const TAG_SETS: Record<string, string> = { platform: '{"team":"platform"}', data: '{"team":"data","cost-center":"42"}', none: '{}' };
const DESCRIPTIONS: Record<string, string> = { telemetry: 'Telemetry data key', renamed: 'Rotated data key', empty: '' };

export interface StackChange {
  readonly intervalMonths?: number;
  readonly policy?: string;
  readonly tags?: string;
  readonly description?: string;
}

export function describeChange(c: StackChange): string {
  const parts = [
    c.intervalMonths !== undefined ? `interval ${c.intervalMonths}` : '',
    c.policy !== undefined ? `policy ${c.policy}` : '',
    c.tags !== undefined ? `tags ${c.tags}` : '',
    c.description !== undefined ? `description ${c.description}` : '',
  ].filter((p) => p);
  return parts.length > 0 ? parts.join(', ') : 'no change';
}

function applyChange(props: Record<string, string>, c: StackChange): Record<string, string> {
  return {
    ...props,
    ...(c.intervalMonths !== undefined ? { IntervalMonths: String(c.intervalMonths) } : {}),
    ...(c.policy !== undefined ? { KeyPolicyStatements: POLICIES[c.policy] } : {}),
    ...(c.tags !== undefined ? { Tags: TAG_SETS[c.tags] } : {}),
    ...(c.description !== undefined ? { Description: DESCRIPTIONS[c.description] } : {}),
  };
}

function updateEvent(props: Record<string, string>, old: Record<string, string>): Record<string, unknown> {
  return cfnEvent('Update', props, { OldResourceProperties: old });
}

/**
 * A stack update. When it fails, CloudFormation rolls back at once: an Update
 * back to the old properties (run without faults).
 */
export class StackUpdate extends Step {
  constructor(readonly change: StackChange, readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean {
    return isLive(m);
  }
  toString(): string { return `stack update (${describeChange(this.change)})${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv) {
    const g = m.group;
    const old = g.props;
    const next = applyChange(old, this.change);
    const r = await invoke(env, m, 'update', updateEvent(next, old), this.fault);
    const invocations = [r];
    if (!r.error) {
      acceptProps(g, next);
    } else {
      // An update finishes what a dead rotation left before it changes anything, so it can die
      // holding a fresh claim, as a rotation can.
      g.lastDeathAt = env.h.sim.clock.now().getTime();
      g.pendingPossible = true;
      const rollback = await invoke(env, m, 'rollback update', updateEvent(old, next), NO_FAULT);
      invocations.push(rollback);
      if (rollback.error) g.intervals = new Set([Number(old.IntervalMonths), Number(next.IntervalMonths)]);
    }
    return { kind: 'update' as const, invocations };
  }
}

function acceptProps(g: GroupState, props: Record<string, string>): void {
  g.props = props;
  g.intervals = new Set([Number(props.IntervalMonths)]);
  g.intervalsEver.add(Number(props.IntervalMonths));
}

// ---------------------------------------------------------------------------

/** Stack deletion with RemovalPolicy destroy (retried by the next Destroy when it fails). */
export class Destroy extends Step {
  constructor(readonly fault: Fault) { super(); }
  protected allowed(m: Readonly<History>): boolean {
    if (m.group.phase === 'deleting') return true;
    return m.group.phase === 'live';
  }
  toString(): string { return `delete the stack (destroy)${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv) {
    const g = m.group;
    // The user asked for every generation to go: its ciphertexts need not decrypt any more (invariant 1's exception).
    g.kept = [];
    if (!m.previousGroups.includes(g.groupId)) m.previousGroups.push(g.groupId);
    const r = await invoke(env, m, 'delete', cfnEvent('Delete', g.props), this.fault);
    g.phase = r.error ? 'deleting' : 'deleted';
    return { kind: 'destroy' as const, invocations: [r] };
  }
}

/** After a destroy: a new stack with a NEW group id and the same alias (a failed Create is redeployed with the same id). */
export class Recreate extends Step {
  constructor(
    readonly intervalMonths: number,
    readonly fault: Fault,
    private readonly label = `create a new stack on the same alias (interval ${intervalMonths})`,
  ) { super(); }
  protected allowed(m: Readonly<History>): boolean {
    if (m.group.phase === 'deleted') return true;
    return m.group.phase === 'creating';
  }
  toString(): string { return `${this.label}${describeFault(this.fault)}`; }
  protected async act(m: History, env: ModelEnv) {
    if (m.group.phase === 'deleted') {
      m.recreates += 1;
      m.group = newGroup(`model-${m.id}-r${m.recreates}`, m.group.aliasName, m.setup, env.h.sim.calls.count(), this.intervalMonths);
    }
    const r = await invoke(env, m, 'create', cfnEvent('Create', m.group.props), this.fault);
    if (!r.error) {
      m.group.phase = 'live';
      m.group.pendingPossible = false;
    }
    return { kind: 'create' as const, invocations: [r] };
  }
}

// ---------------------------------------------------------------------------

export type ConcurrentAction = 'rotate-if-due' | 'rotate-now' | 'update';

/** Two invocations of the function at once (at-least-once delivery, a retry, an emergency or a deploy during a scheduled run). */
export class Concurrent extends Step {
  constructor(
    readonly a: ConcurrentAction,
    readonly b: ConcurrentAction,
    readonly change: StackChange,
  ) { super(); }
  protected allowed(m: Readonly<History>): boolean {
    return isLive(m);
  }
  toString(): string {
    const name = (x: ConcurrentAction) => (x === 'update' ? `stack update (${describeChange(this.change)})` : x);
    return `at once: ${name(this.a)} || ${name(this.b)}`;
  }
  protected async act(m: History, env: ModelEnv) {
    const g = m.group;
    const old = g.props;
    const next = applyChange(old, this.change);
    const eventOf = (x: ConcurrentAction): [string, unknown] => {
      if (x === 'update') return ['update', updateEvent(next, old)];
      if (x === 'rotate-now') g.emergencies += 1;
      return [x, { action: x, aliasName: g.aliasName }];
    };
    const results = await invokeTogether(env, m, eventOf(this.a), eventOf(this.b));
    m.faults.count('concurrent', true);
    if (results.some((r) => r.error)) {
      g.pendingPossible = true;
      g.lastDeathAt = env.h.sim.clock.now().getTime();
    } else if (results.some((r) => ['rotated', 'not-due'].includes(outcomeOf(r) ?? ''))) {
      g.pendingPossible = false;
    }
    const update = results.find((r) => r.label === 'update');
    if (update && !update.error) acceptProps(g, next);
    else if (update) g.intervals = new Set([Number(old.IntervalMonths), Number(next.IntervalMonths)]);
    return { kind: 'concurrent' as const, invocations: results };
  }
}

// ---------------------------------------------------------------------------

const INTERVALS = [1, 2, 3, 6, 12] as const;

function changeArbitrary(): fc.Arbitrary<StackChange> {
  return fc.record({
    intervalMonths: fc.constantFrom(...INTERVALS),
    policy: fc.constantFrom(...Object.keys(POLICIES)),
    tags: fc.constantFrom(...Object.keys(TAG_SETS)),
    description: fc.constantFrom(...Object.keys(DESCRIPTIONS)),
  }, { requiredKeys: [] });
}

export function clockArbitrary(): fc.Arbitrary<ClockAdvance> {
  return fc.oneof(
    fc.record({ unit: fc.constant('hours' as const), n: fc.integer({ min: 1, max: 23 }) }),
    fc.record({ unit: fc.constant('days' as const), n: fc.integer({ min: 1, max: 45 }) }),
    fc.record({ unit: fc.constant('months' as const), n: fc.integer({ min: 1, max: 7 }) }),
  );
}

export interface CommandOptions {
  /** Include stack deletion and re-creation (default true). */
  readonly lifecycle?: boolean;
  /** Also lose answers after the operation took effect (default false: it reaches bugs not yet pinned, see fuzz-cli --lost-responses). */
  readonly lostResponses?: boolean;
}

export function commandArbitraries(o: CommandOptions = {}): Array<fc.Arbitrary<Cmd>> {
  const fault = faultArbitrary({ lostResponses: o.lostResponses });
  const action = fc.constantFrom<ConcurrentAction>('rotate-if-due', 'rotate-now', 'update');
  const arbs: Array<fc.Arbitrary<Cmd>> = [
    clockArbitrary().map((by) => new AdvanceClock(by)),
    clockArbitrary().map((by) => new AdvanceClock(by)),
    fc.constant(new Encrypt()),
    fc.tuple(fc.boolean(), fault).map(([withGroupId, f]) => new ScheduledRun(withGroupId, f)),
    fc.tuple(fc.boolean(), fault).map(([withGroupId, f]) => new ScheduledRun(withGroupId, f)),
    fault.map((f) => new EmergencyRun(f)),
    fc.tuple(changeArbitrary(), fault).map(([c, f]) => new StackUpdate(c, f)),
    fc.tuple(action, action, changeArbitrary()).map(([a, b, c]) => new Concurrent(a, b, c)),
  ];
  if (o.lifecycle !== false) {
    arbs.push(
      fault.map((f) => new Destroy(f)),
      fc.tuple(fc.constantFrom(...INTERVALS), fault).map(([i, f]) => new Recreate(i, f)),
    );
  }
  return arbs;
}

/** Start of a history: any time of 2026-2028, often at the end of a month (calendar clamping). */
export function startArbitrary(): fc.Arbitrary<Date> {
  const base = Date.UTC(2026, 0, 1);
  return fc.oneof(
    fc.integer({ min: 0, max: 3 * 365 * 24 - 1 }).map((h) => new Date(base + h * MS_PER_HOUR)),
    fc.tuple(fc.integer({ min: 0, max: 35 }), fc.integer({ min: 0, max: 23 }))
      .map(([m, hour]) => new Date(Date.UTC(2026, m + 1, 0, hour, 30))),
  );
}

export function intervalArbitrary(): fc.Arbitrary<number> {
  return fc.constantFrom(...INTERVALS);
}
