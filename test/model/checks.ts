/**
 * What must hold after every step of a history. Returns violations as
 * sentences; nothing here asserts, so the same checks serve jest and the CLI.
 *
 * - invariants 1-6 of the design through `invariantViolations` (test/rotation/invariants.ts);
 * - invariant 4 by key id: the function never writes to the forged key;
 * - invariant 5 also on what the function returned or threw, and on every key's tags;
 * - invariant 6 against the model: rotations earlier than a due date the model
 *   allows are at most the emergencies asked for; the due date of the current
 *   generation is `activated-at + interval` for an interval the stack asked for;
 * - liveness: a run the model expects to succeed succeeds, a scheduled run
 *   that succeeds leaves the group not due, a not-due run writes nothing;
 * - destroy: after a clean delete nothing of the group is left usable.
 */
import { ModelEnv, LEASE_MS } from './env';
import { GroupState, History, InvocationResult, outcomeOf } from './history';
import { generationAliasPrefix } from '../../lambda/rotation/aliases';
import { addCalendarMonths } from '../../lambda/rotation/dates';
import { TAG } from '../../lambda/rotation/tags';
import { KeySnapshot, MUTATING_OPERATIONS } from '../kms-simulator';
import { Harness } from '../rotation/harness';
import { invariantViolations, secretLeaks } from '../rotation/invariants';

export type StepKind = 'clock' | 'encrypt' | 'scheduled' | 'emergency' | 'update' | 'destroy' | 'create' | 'concurrent';

export interface StepRecord {
  readonly kind: StepKind;
  readonly invocations: readonly InvocationResult[];
  /** Generation behind the alias before the step (undefined when there was none). */
  readonly generationBefore?: number;
  /** Intervals that may have been in effect before the step. */
  readonly intervalsBefore: ReadonlySet<number>;
}

/**
 * The harness as the checker should see it for this history: the forged key
 * is not one of the group's keys (the test made it; its tags lie), and only
 * material imported during this history can appear in this history's log
 * (the log is reset per history; the simulator keeps every material ever).
 */
export function historyView(env: ModelEnv, hist: History): Harness {
  const h = env.h;
  const sim = Object.create(h.sim) as typeof h.sim;
  Object.defineProperty(sim, 'state', {
    value: { ...h.sim.state, importedMaterials: () => h.sim.state.importedMaterials().slice(hist.materialsFrom) },
  });
  const view = Object.create(h) as Harness;
  Object.defineProperty(view, 'sim', { value: sim });
  view.groupKeys = (groupId: string) => h.groupKeys(groupId).filter((k) => k.id !== hist.forgedKeyId);
  return view;
}

export async function checkStep(env: ModelEnv, hist: History, step: StepRecord): Promise<string[]> {
  const view = historyView(env, hist);
  const g = hist.group;
  const v: string[] = [];
  v.push(...forgedKeyWrites(env, hist));
  v.push(...foreignWrites(view, g, step));
  v.push(...leaksOutsideLogs(view, step));
  v.push(...livenessViolations(env, g, step));
  if (g.phase === 'live') {
    v.push(...await invariantViolations(view, { groupId: g.groupId, aliasName: g.aliasName, intervalMonths: Math.min(...g.intervalsEver) }, {
      kept: g.kept,
      allowPending: g.pendingPossible,
      emergencies: g.emergencies,
      callsFrom: g.callsFrom,
    }));
    v.push(...dueDateViolations(view, env, g, step));
  } else {
    v.push(...secretLeaks(view, view.log.text()).map((leak) => `5: ${leak}`));
    if (g.phase === 'deleted') v.push(...destroyViolations(view, g));
  }
  return v;
}

/** Invariant 4 by key id: no write of the function names the forged key. */
function forgedKeyWrites(env: ModelEnv, hist: History): string[] {
  const calls = env.h.sim.calls.list();
  const out: string[] = [];
  for (const [from, to] of hist.functionCalls) {
    for (const c of calls.slice(from, to)) {
      if (!c.ok || !MUTATING_OPERATIONS.has(c.op)) continue;
      const ids = [c.request.KeyId, c.request.TargetKeyId].map((x) => String(x ?? '')).map((x) => x.slice(x.lastIndexOf('/') + 1));
      if (ids.includes(hist.forgedKeyId)) out.push(`4: the function called ${c.op} on the forged key ${hist.forgedKeyId}`);
    }
  }
  return out;
}

/**
 * Invariant 4 in every phase (the checker covers live groups): each write of
 * this step names a key of the group the step acted on. Checked right after
 * the step, while every key it wrote still exists.
 */
function foreignWrites(view: Harness, g: GroupState, step: StepRecord): string[] {
  const out: string[] = [];
  const calls = view.sim.calls.list();
  for (const r of step.invocations) {
    for (const c of calls.slice(r.calls[0], r.calls[1])) {
      if (!c.ok || !MUTATING_OPERATIONS.has(c.op) || c.op === 'CreateKey' || c.op === 'DeleteAlias') continue;
      const id = String(c.request.TargetKeyId ?? c.request.KeyId ?? '');
      const key = view.sim.state.key(id.slice(id.lastIndexOf('/') + 1));
      if (key?.tags[TAG.group] !== g.groupId) out.push(`4: ${r.label} called ${c.op} on key ${id}, which is not a key of group ${g.groupId}`);
    }
  }
  return out;
}

/** Invariant 5 beyond the logs: results, error messages, tags and descriptions of every key. */
function leaksOutsideLogs(view: Harness, step: StepRecord): string[] {
  const texts = step.invocations.map((r) => JSON.stringify({
    result: r.result,
    error: r.error && { name: r.error.name, message: r.error.message, stack: r.error.stack },
  }));
  texts.push(JSON.stringify(view.sim.state.keys().map((k) => ({ tags: k.tags, description: k.description }))));
  return secretLeaks(view, texts.join('\n')).map((leak) => `5: ${leak} (in a result, an error, a tag or a description)`);
}

function livenessViolations(env: ModelEnv, g: GroupState, step: StepRecord): string[] {
  const v: string[] = [];
  const now = env.h.sim.clock.now().getTime();
  const withinLeaseOfDeath = g.lastDeathAt !== undefined && now - g.lastDeathAt < LEASE_MS;
  for (const r of step.invocations) {
    if (r.error && r.mustSucceed) {
      v.push(`liveness: ${r.label} failed although no fault stopped it: ${r.error.name}: ${r.error.message}`);
    }
    const outcome = outcomeOf(r);
    if (outcome === 'not-due' && step.kind !== 'concurrent') {
      // Discarding the claim a dead run left (its takeover and the claim itself are generation aliases) is allowed.
      const keyWrites = env.h.sim.calls.list().slice(r.calls[0], r.calls[1])
        .filter((c) => c.ok && MUTATING_OPERATIONS.has(c.op) && !String(c.request.AliasName ?? '').startsWith('alias/rotation/'));
      if (keyWrites.length > 0) v.push(`liveness: a not-due run made ${keyWrites.length} writes (${keyWrites.map((c) => c.op).join(', ')})`);
    }
    if (outcome === 'in-progress' && step.kind !== 'concurrent' && !withinLeaseOfDeath) {
      v.push(`liveness: ${r.label} answered in-progress, but no run can be alive (the last one died ${g.lastDeathAt === undefined ? 'never' : `${Math.round((now - g.lastDeathAt) / 60000)} min ago`})`);
    }
  }
  return v;
}

function target(view: Harness, g: GroupState): KeySnapshot | undefined {
  const id = view.aliasTarget(g.aliasName);
  return id ? view.sim.state.key(id) : undefined;
}

/** Current and retired generations (registered), by number. */
function registered(view: Harness, g: GroupState): KeySnapshot[] {
  const targetId = view.aliasTarget(g.aliasName);
  return view.groupKeys(g.groupId).filter((k) => k.state !== 'PendingDeletion' && (k.tags[TAG.stage] !== 'pending' || k.id === targetId));
}

/** Generation behind the alias, for the model's bookkeeping. */
export function currentGeneration(view: Harness, g: GroupState): number | undefined {
  const t = target(view, g);
  return t ? Number(t.tags[TAG.generation]) : undefined;
}

/** Remembers which intervals may have applied to each generation that was current during the step. */
export function noteIntervals(view: Harness, g: GroupState, step: StepRecord): void {
  const after = currentGeneration(view, g) ?? step.generationBefore ?? 1;
  const from = Math.min(step.generationBefore ?? after, after);
  for (let n = from; n <= after; n++) {
    const s = g.intervalsOfGeneration.get(n) ?? new Set<number>();
    for (const i of [...step.intervalsBefore, ...g.intervals]) s.add(i);
    g.intervalsOfGeneration.set(n, s);
  }
}

function dueDateViolations(view: Harness, env: ModelEnv, g: GroupState, step: StepRecord): string[] {
  const v: string[] = [];
  const gens = registered(view, g);
  // Invariant 6 against the model: a generation activated before its predecessor was due needs an emergency.
  let early = 0;
  const earlyPairs: string[] = [];
  for (let i = 1; i < gens.length; i++) {
    const prev = gens[i - 1].tags[TAG.activatedAt];
    const next = gens[i].tags[TAG.activatedAt];
    if (!prev || !next) continue;
    const n = Number(gens[i - 1].tags[TAG.generation]);
    const intervals = g.intervalsOfGeneration.get(n) ?? g.intervalsEver;
    const due = addCalendarMonths(new Date(prev), Math.min(...intervals));
    if (new Date(next).getTime() < due.getTime()) {
      early += 1;
      earlyPairs.push(`generation ${n + 1} activated ${next}, generation ${n} due ${due.toISOString()}`);
    }
  }
  if (early > g.emergencies) v.push(`6: ${early} rotations before their due date but only ${g.emergencies} emergencies asked for (${earlyPairs.join('; ')})`);

  // The current generation's due date is activated-at + an interval the stack asked for.
  const t = target(view, g);
  if (!g.pendingPossible && t && t.tags[TAG.stage] === 'current') {
    const interval = Number(t.tags[TAG.intervalMonths]);
    if (!g.intervals.has(interval)) v.push(`6/due-date: the current generation says interval ${t.tags[TAG.intervalMonths]}, the stack asked for ${[...g.intervals].join(' or ')}`);
    const expected = addCalendarMonths(new Date(t.tags[TAG.activatedAt]), interval).toISOString();
    if (t.tags[TAG.nextDueAt] !== expected) v.push(`6/due-date: next-due-at ${t.tags[TAG.nextDueAt]} is not activated-at ${t.tags[TAG.activatedAt]} + ${interval} months (${expected})`);
    // A scheduled run that finished leaves the group not due.
    const now = env.h.sim.clock.now().getTime();
    const finished = step.invocations.some((r) => ['rotated', 'not-due'].includes(outcomeOf(r) ?? '') && r.label.startsWith('rotate-if-due'));
    if (finished && step.kind === 'scheduled' && new Date(t.tags[TAG.nextDueAt]).getTime() <= now) {
      v.push(`liveness: a scheduled run finished but the group is still due (next-due-at ${t.tags[TAG.nextDueAt]}, now ${new Date(now).toISOString()})`);
    }
    // An emergency that reports a rotation activated a generation during the step.
    for (const r of step.invocations) {
      if (r.label.startsWith('rotate-now') && outcomeOf(r) === 'rotated' && step.kind === 'emergency'
        && new Date(t.tags[TAG.activatedAt]).getTime() < r.startedAt) {
        v.push(`liveness: rotate-now reported a rotation but the current generation was activated at ${t.tags[TAG.activatedAt]}, before the request`);
      }
    }
  }
  return v;
}

/** After a clean destroy: every generation pending deletion, no alias of the group left. */
function destroyViolations(view: Harness, g: GroupState): string[] {
  const v: string[] = [];
  for (const k of view.groupKeys(g.groupId)) {
    if (k.state !== 'PendingDeletion') v.push(`destroy: generation ${k.tags[TAG.generation]} (${k.id}) of destroyed group ${g.groupId} is ${k.state}`);
  }
  const prefix = generationAliasPrefix(g.groupId);
  for (const a of view.sim.state.aliases()) {
    if (a.AliasName.startsWith(prefix)) v.push(`destroy: alias ${a.AliasName} of destroyed group ${g.groupId} is left`);
  }
  const userAlias = view.aliasTarget(g.aliasName);
  if (userAlias && view.sim.state.key(userAlias)?.tags[TAG.group] === g.groupId) v.push(`destroy: alias ${g.aliasName} still points at a key of destroyed group ${g.groupId}`);
  return v;
}
