/**
 * The model of one history: what the test knows about its key group, and how
 * one invocation of a function (or two at once) is run and recorded.
 *
 * The model is deliberately coarse where the real outcome depends on where a
 * fault hit: the checks read the truth (the ledger, the simulator's state) and
 * judge it; the model remembers what the user asked for (properties, removal
 * policy, emergencies), what was encrypted, and when a dead run may still hold
 * the group's lock.
 */
import { Death, FunctionCall, GroupStack, ModelEnv, Slot } from './env';
import { absorbable, armFault, Fault, FaultCounter, faultFired, NO_FAULT } from './faults';
import { RemovalChoice } from './policies';
import { GroupRecord } from '../../lambda/rotation/ledger-model';
import { CustomResourceResult } from '../../lambda/rotation/lifecycle';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { MANAGED_BY, TAG } from '../../lambda/rotation/tags';

export type Phase =
  /** Deployed: the alias resolves, the schedule runs. */
  | 'live'
  /** A Delete failed or died: CloudFormation's way on is to delete again (the schedule may still run). */
  | 'deleting'
  /** Deleted with RETAIN: keys and aliases kept; a new deploy carries on with them. */
  | 'retained'
  /** Deleted with DESTROY: every generation pending deletion; a new deploy starts a new incarnation. */
  | 'destroyed'
  /** A (re-)deploy failed or died; a new deploy creates the group again. */
  | 'creating';

/** A ciphertext made through the alias, which must stay decryptable. */
export interface Kept {
  readonly plaintext: string;
  readonly ciphertext: Uint8Array;
  /** The key that made it (the Encrypt answer's KeyId, a key ARN). */
  readonly keyArn: string;
}

export interface GroupState {
  readonly groupId: string;
  /** The alias the stack declares now (the writer encrypts through it). */
  aliasName: string;
  readonly aliasesEver: Set<string>;
  /** When the alias was (re)created, for the eventual consistency allowance of a brand-new alias. */
  aliasCreatedAt: number;
  /** The properties CloudFormation last sent successfully (or is sending). */
  props: Record<string, string>;
  /** The synthesized permissions of the stack as it is now. */
  stack: GroupStack;
  phase: Phase;
  /** Every interval this group ever had. */
  readonly intervalsEver: Set<number>;
  /** rotate-now invocations, whatever they answered. */
  emergencies: number;
  kept: Kept[];
  /** A Delete with DESTROY was invoked: ciphertexts of generations it scheduled for deletion may stop decrypting. */
  destroyRequested: boolean;
  /** Until when a dead run may still hold the lock (its lease). */
  lockMayBeHeldUntil: number;
  /** When the fence of a retired key was first seen in its key policy, by key id. */
  readonly fenceSeenAt: Map<string, number>;
  /** Retired keys verified to refuse Encrypt by key id. */
  readonly fenceVerified: Set<string>;
  /** Generations (key ids) whose activation was judged. */
  readonly activationsJudged: Set<string>;
  readonly fencesJudged: Set<string>;
  /** Per key that made a kept ciphertext: its state when a sample last decrypted, since when it had it, and when. */
  readonly decryptChecks: Map<string, { fp: string; since: number; verifiedAt: number }>;
}

export interface HistorySetup {
  /** Simulated time the history starts at. */
  readonly start: Date;
  readonly intervalMonths: number;
  readonly removal: RemovalChoice;
}

export type Entry = 'lifecycle' | 'rotation';

export interface InvocationResult {
  readonly label: string;
  readonly entry: Entry;
  readonly event: unknown;
  readonly fault: Fault;
  readonly result?: CustomResourceResult | RotationOutcome;
  readonly error?: Error;
  readonly death?: Death;
  /** The fault had an effect. */
  readonly fired: boolean;
  /** The fault (if any) is one the function must get through. */
  readonly absorbable: boolean;
  /** Its KMS requests. */
  readonly calls: readonly FunctionCall[];
  /** Simulated times. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** A dead run's lock may have been held when it started. */
  readonly lockMayBeHeld: boolean;
}

/** Everything a history knows: the fast-check model. */
export class History {
  group: GroupState;
  steps = 0;
  invocations = 0;
  /** `rotate-if-due promoted`, `update failed`, … -> invocations. */
  readonly outcomes: Record<string, number> = {};
  readonly faults = new FaultCounter();
  /** Readable trace of the executed steps with their outcomes. */
  readonly trace: string[] = [];
  readonly violations: string[] = [];
  /** A key the test made with the group's tag: the functions must never write to it. */
  forgedKeyId = '';
  /** A key the tampering actor made (EXTERNAL, not the group's) and points tampered entries and tags at; '' until needed. */
  victimKeyId = '';
  /** Its state, policy, description and material when made: nothing the functions do may change them. */
  victimFingerprint = '';
  /** importedMaterials() and issuedImportTokens() indexes where this history began. */
  materialsFrom = 0;
  tokensFrom = 0;
  /** h.db.reads index of the first read not yet checked. */
  readsFrom = 0;
  /** h.log.lines index of the first line not yet checked. */
  logFrom = 0;
  /** Every KMS request of the functions in this history, in order. */
  readonly calls: FunctionCall[] = [];
  /** The ledger entry as the last check read it (the state before the next step: nothing runs between steps). */
  lastRecord: GroupRecord | undefined;
  /** Answers to the writer from before a brand-new alias existed within the read lag after the alias was made (eventual consistency). */
  freshAliasMisses = 0;

  constructor(readonly id: number, readonly setup: HistorySetup, env: ModelEnv) {
    const groupId = `model-${id}`;
    const aliasName = `alias/model-${id}`;
    const stack = env.groupStack(setup.removal, groupId, aliasName);
    this.group = {
      groupId,
      aliasName,
      aliasesEver: new Set([aliasName]),
      aliasCreatedAt: setup.start.getTime(),
      props: propsOf(stack, { IntervalMonths: String(setup.intervalMonths), Tags: '{"team":"platform"}', Description: 'model key' }),
      stack,
      phase: 'creating',
      intervalsEver: new Set([setup.intervalMonths]),
      emergencies: 0,
      kept: [],
      destroyRequested: false,
      lockMayBeHeldUntil: 0,
      fenceSeenAt: new Map(),
      fenceVerified: new Set(),
      activationsJudged: new Set(),
      fencesJudged: new Set(),
      decryptChecks: new Map(),
    };
  }
}

/** The custom resource properties: the synthesized ones, with the model's choices. */
export function propsOf(g: GroupStack, overrides: Record<string, string>): Record<string, string> {
  return { ...g.stack.properties, ...overrides };
}

/** The key group's schedule input, as the synthesized schedule sends it. */
export function scheduleEvent(g: GroupState): Record<string, unknown> {
  return { ...g.stack.stack.scheduleInput };
}

/** Creates the forged key: EXTERNAL, tagged with the group like a pending generation, made by someone else. */
export async function forgeKey(env: ModelEnv, hist: History): Promise<void> {
  const tags = {
    [TAG.group]: hist.group.groupId,
    [TAG.managedBy]: MANAGED_BY,
    [TAG.generation]: '2',
    [TAG.stage]: 'pending',
    [TAG.alias]: hist.group.aliasName,
  };
  const r = await env.admin.call<{ KeyMetadata: { KeyId: string } }>('CreateKey', {
    Origin: 'EXTERNAL',
    Description: 'forged: not made by the key group',
    Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
  });
  hist.forgedKeyId = r.KeyMetadata.KeyId;
}

export interface InvocationRequest {
  readonly label: string;
  readonly entry: Entry;
  readonly event: unknown;
  readonly fault?: Fault;
}

function timeoutOf(env: ModelEnv, entry: Entry): number {
  return entry === 'lifecycle' ? env.options.lifecycleTimeoutMs : env.options.rotationTimeoutMs;
}

async function runOn(slot: Slot, req: InvocationRequest): Promise<{ result?: any; error?: Error; death?: Death }> {
  const entry = req.entry === 'lifecycle' ? slot.functions.lifecycle : slot.functions.rotation;
  const settled = entry(req.event).then(
    (result) => ({ result, error: undefined, death: undefined }),
    (e: unknown) => ({ result: undefined, error: e instanceof Error ? e : new Error(String(e)), death: undefined }),
  );
  // A dead function never answers: its promise stays pending for ever, as its process is gone.
  return Promise.race([settled, slot.died().then((death) => ({ result: undefined, error: undefined, death }))]);
}

function finish(env: ModelEnv, hist: History, slot: Slot, req: InvocationRequest, out: { result?: any; error?: Error; death?: Death }, ctx: {
  fired: boolean; startedAt: number; lockMayBeHeld: boolean;
}): InvocationResult {
  const now = env.h.sim.clock.now().getTime();
  const fault = req.fault ?? NO_FAULT;
  hist.invocations += 1;
  hist.calls.push(...slot.calls);
  const how = out.death ? `died (${out.death})` : out.error ? `failed (${out.error.name})`
    : req.entry === 'rotation' ? String((out.result as RotationOutcome | undefined)?.outcome) : 'ok';
  const key = `${req.label.replace(/ \(.*\)$/, '')} ${how}`;
  hist.outcomes[key] = (hist.outcomes[key] ?? 0) + 1;
  if (out.death) {
    hist.group.lockMayBeHeldUntil = Math.max(hist.group.lockMayBeHeldUntil, now + env.options.leaseMs);
    if (out.death === 'timeout') hist.faults.timeouts += 1;
  }
  return {
    label: req.label,
    entry: req.entry,
    event: req.event,
    fault,
    result: out.result,
    error: out.error,
    death: out.death,
    fired: ctx.fired,
    absorbable: absorbable(fault, ctx.fired),
    calls: [...slot.calls],
    startedAt: ctx.startedAt,
    endedAt: now,
    lockMayBeHeld: ctx.lockMayBeHeld,
  };
}

/** Runs one invocation with its fault armed for exactly this invocation. */
export async function invoke(env: ModelEnv, hist: History, req: InvocationRequest): Promise<InvocationResult> {
  const slot = req.entry === 'lifecycle' ? env.lifecycle[0] : env.rotation[0];
  const fault = req.fault ?? NO_FAULT;
  const simFrom = env.h.sim.calls.count();
  const before = { tokens: slot.tokenJumps, lost: slot.lostAnswers };
  const startedAt = env.h.sim.clock.now().getTime();
  const lockMayBeHeld = hist.group.lockMayBeHeldUntil > startedAt;
  slot.begin(armFault(env, fault), timeoutOf(env, req.entry));
  let out: { result?: any; error?: Error; death?: Death };
  try {
    out = await runOn(slot, req);
  } finally {
    env.h.sim.faults.clear();
  }
  const fired = faultFired(env, fault, simFrom, slot, before);
  if (fault.kind !== 'none') hist.faults.count(fault.kind, fired);
  return finish(env, hist, slot, req, out, { fired, startedAt, lockMayBeHeld });
}

/** Two invocations at once, each in its own function instance (no faults). */
export async function invokeTogether(env: ModelEnv, hist: History, a: InvocationRequest, b: InvocationRequest): Promise<InvocationResult[]> {
  const slotFor = (r: InvocationRequest, other: InvocationRequest): Slot => {
    const pool = r.entry === 'lifecycle' ? env.lifecycle : env.rotation;
    return r === b && other.entry === r.entry ? pool[1] : pool[0];
  };
  const [sa, sb] = [slotFor(a, b), slotFor(b, a)];
  const startedAt = env.h.sim.clock.now().getTime();
  const lockMayBeHeld = hist.group.lockMayBeHeldUntil > startedAt;
  sa.begin(armFault(env, NO_FAULT), timeoutOf(env, a.entry));
  sb.begin(armFault(env, NO_FAULT), timeoutOf(env, b.entry));
  const [ra, rb] = await Promise.all([runOn(sa, a), runOn(sb, b)]);
  hist.faults.count('concurrent', true);
  return [
    finish(env, hist, sa, a, ra, { fired: false, startedAt, lockMayBeHeld }),
    finish(env, hist, sb, b, rb, { fired: false, startedAt, lockMayBeHeld }),
  ];
}

/** `promoted (generation 3)`, `failed: InconsistentGroupError: ...`, `died (crash)` */
export function describeOutcome(r: InvocationResult): string {
  if (r.death) return `died (${r.death}) after ${r.calls.length} KMS requests`;
  if (r.error) return `failed: ${r.error.name}: ${r.error.message.slice(0, 300)}`;
  const res = r.result as Record<string, unknown> | undefined;
  if (res && 'outcome' in res) {
    const o = res as unknown as RotationOutcome;
    return `${o.outcome} (generation ${o.generation}${o.phasesDone.length ? `; ${o.phasesDone.join(', ')}` : ''}${o.busy ? '; busy' : ''})`;
  }
  if (res && 'PhysicalResourceId' in res) return `ok (generation ${String((res.Data as Record<string, string> | undefined)?.Generation ?? '-')})`;
  return 'ok';
}

export function rotationOutcome(r: InvocationResult): RotationOutcome | undefined {
  const res = r.result as RotationOutcome | undefined;
  return r.entry === 'rotation' && res && typeof res.outcome === 'string' ? res : undefined;
}

/** The group's ledger entry (the test's own, strongly consistent read). */
export async function ledgerOf(env: ModelEnv, hist: History): Promise<GroupRecord | undefined> {
  return groupItem(await env.scanLedger(), hist.group.groupId);
}

/** The group's entry among the ledger's items, as the ledger gateway reads it. */
export function groupItem(items: Record<string, unknown>[], groupId: string): GroupRecord | undefined {
  const item = items.find((i) => i.pk === `group#${groupId}` && i.sk === 'state');
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...record } = item;
  return record as unknown as GroupRecord;
}

/** The ledger entry before a step: what the last check read (a dead run never writes again). */
export function recordBefore(hist: History): GroupRecord | undefined {
  return hist.lastRecord;
}
