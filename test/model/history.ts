/**
 * The model of one history: what the test knows about the key group(s) it
 * made, and how one invocation of the function is run and recorded.
 *
 * The model is deliberately coarse where the real outcome depends on where a
 * fault hit: after a step that died it only remembers that a half-made
 * generation may exist (`pendingPossible`) and which intervals may be in effect.
 */
import { CreateKeyCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { ModelEnv, RETRYING_ATTEMPTS } from './env';
import { armFault, disarmFaults, Fault, FaultCounter, faultFired } from './faults';
import { HandlerResult } from '../../lambda/rotation/handler';
import { MANAGED_BY, TAG } from '../../lambda/rotation/tags';
import { MUTATING_OPERATIONS } from '../kms-simulator';
import { groupProps } from '../rotation/fixtures';
import { Kept } from '../rotation/invariants';

export type Phase =
  /** Created: the alias resolves, every invariant holds after every step. */
  | 'live'
  /** A destroy died half-way; CloudFormation's only way on is to delete again. */
  | 'deleting'
  /** Destroyed: every key pending deletion, no alias left. */
  | 'deleted'
  /** A (re-)create died; a redeploy creates the same group id again. */
  | 'creating';

export interface GroupState {
  readonly groupId: string;
  readonly aliasName: string;
  /** The properties CloudFormation last sent successfully (or is sending, while creating). */
  props: Record<string, string>;
  phase: Phase;
  /** Interval(s) that may be in effect now (more than one after an update whose outcome is unknown). */
  intervals: Set<number>;
  /** Every interval this group ever had. */
  intervalsEver: Set<number>;
  /** Intervals that may have been in effect while generation n was current. */
  readonly intervalsOfGeneration: Map<number, Set<number>>;
  /** Emergency rotations asked for (rotate-now invocations, whatever their outcome). */
  emergencies: number;
  /** Ciphertexts made under the alias, which must stay decryptable. */
  kept: Kept[];
  /** A run died (or left work) since the last run that finished everything: one pending key may exist. */
  pendingPossible: boolean;
  /** Simulated time at the end of the last step in which a run died. */
  lastDeathAt?: number;
  /** First call of this group's life in the call log (invariant 4 is checked from here). */
  readonly callsFrom: number;
}

export interface HistorySetup {
  /** Simulated time the history starts at. */
  readonly start: Date;
  readonly intervalMonths: number;
}

export interface InvocationResult {
  readonly label: string;
  readonly fault: Fault;
  readonly result?: HandlerResult;
  readonly error?: Error;
  /** The fault had an effect (an injected error was answered, or the clock jumped). */
  readonly fired: boolean;
  /** The fault (if any) is one the function must absorb: the run has to succeed. */
  readonly mustSucceed: boolean;
  /** Successful writes to KMS during the invocation. */
  readonly writes: number;
  /** Simulated time when the invocation started. */
  readonly startedAt: number;
  /** Its calls in the call log: [from, to). */
  readonly calls: readonly [number, number];
}

/** Everything a history knows: the fast-check model. */
export class History {
  group: GroupState;
  /** Ids of destroyed groups of this history. */
  readonly previousGroups: string[] = [];
  recreates = 0;
  /** A key the test made with tags forged to claim the group: the function must never write to it. */
  forgedKeyId = '';
  /** importedMaterials() index where this history began. */
  materialsFrom = 0;
  steps = 0;
  readonly faults = new FaultCounter();
  /** Call-log index ranges [from, to) of the function's invocations. */
  readonly functionCalls: Array<[number, number]> = [];
  /** Readable trace of the executed steps with their outcomes. */
  readonly trace: string[] = [];
  readonly violations: string[] = [];

  constructor(readonly id: number, readonly setup: HistorySetup) {
    this.group = newGroup(`model-${id}`, `alias/model-${id}`, setup, 0);
  }
}

export function newGroup(
  groupId: string, aliasName: string, setup: HistorySetup, callsFrom: number, intervalMonths = setup.intervalMonths,
): GroupState {
  return {
    groupId,
    aliasName,
    props: stringProps(groupProps({
      GroupId: groupId,
      AliasName: aliasName,
      IntervalMonths: String(intervalMonths),
      // Material that expires makes its generation unusable by design (no re-import yet), so it never does here.
      MaterialValidityDays: '0',
      RemovalPolicy: 'destroy',
      PendingWindowDays: '7',
    })),
    phase: 'creating',
    intervals: new Set([intervalMonths]),
    intervalsEver: new Set([intervalMonths]),
    intervalsOfGeneration: new Map(),
    emergencies: 0,
    kept: [],
    pendingPossible: false,
    callsFrom,
  };
}

function stringProps(p: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));
}

/**
 * Creates the forged key: EXTERNAL, tagged as if it were a half-made
 * generation 2 of the group (the shape a resumed rotation looks for), made
 * before the history's first claim.
 */
export async function forgeKey(env: ModelEnv, hist: History): Promise<void> {
  const tags = {
    [TAG.group]: hist.group.groupId,
    [TAG.managedBy]: MANAGED_BY,
    [TAG.generation]: '2',
    [TAG.stage]: 'pending',
    [TAG.alias]: hist.group.aliasName,
  };
  const r = await env.h.kms.send(new CreateKeyCommand({
    Origin: 'EXTERNAL',
    Description: 'forged: not made by the rotation function',
    Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
  }));
  hist.forgedKeyId = r.KeyMetadata!.KeyId!;
}

/** Makes the forged key name generation 1 as its previous key, once generation 1 exists. */
export async function aimForgedKey(env: ModelEnv, hist: History, previousKeyId: string): Promise<void> {
  await env.h.kms.send(new TagResourceCommand({ KeyId: hist.forgedKeyId, Tags: [{ TagKey: TAG.previousKey, TagValue: previousKeyId }] }));
}

/** The fault is one the retrying function must absorb (or was never triggered). */
function absorbable(f: Fault, fired: boolean): boolean {
  switch (f.kind) {
    case 'none': return true;
    case 'throttle':
    case '5xx': return f.times < RETRYING_ATTEMPTS || !fired;
    case 'crash': return !fired;
    case 'token-expiry': return f.times < 2;
    // The SDK retries; the function must cope with an operation that already took effect.
    case 'lost-response': return true;
  }
}

/** Runs one invocation of the function with `fault` armed, and records it. */
export async function invoke(env: ModelEnv, hist: History, label: string, event: unknown, fault: Fault): Promise<InvocationResult> {
  const from = env.h.sim.calls.count();
  const jumps = { tokens: env.tokenExpiriesFired, lost: env.lostResponsesFired };
  const startedAt = env.h.sim.clock.now().getTime();
  const handler = armFault(env, fault);
  let result: HandlerResult | undefined;
  let error: Error | undefined;
  try {
    result = await handler(event);
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  } finally {
    disarmFaults(env);
  }
  return recordInvocation(env, hist, { label, fault, result, error, from, jumps, startedAt });
}

/** Two invocations at once, each with its own handler (no faults). */
export async function invokeTogether(env: ModelEnv, hist: History, a: [string, unknown], b: [string, unknown]): Promise<InvocationResult[]> {
  const from = env.h.sim.calls.count();
  const startedAt = env.h.sim.clock.now().getTime();
  const settle = (p: Promise<HandlerResult>) => p.then(
    (result) => ({ result, error: undefined }),
    (e: unknown) => ({ result: undefined, error: e instanceof Error ? e : new Error(String(e)) }),
  );
  const [ra, rb] = await Promise.all([settle(env.retrying(a[1])), settle(env.retryingTwin(b[1]))]);
  const to = env.h.sim.calls.count();
  hist.functionCalls.push([from, to]);
  const writes = countWrites(env, from, to);
  return [
    { label: a[0], fault: { kind: 'none' }, ...ra, fired: false, mustSucceed: true, writes, startedAt, calls: [from, to] },
    { label: b[0], fault: { kind: 'none' }, ...rb, fired: false, mustSucceed: true, writes, startedAt, calls: [from, to] },
  ];
}

function recordInvocation(env: ModelEnv, hist: History, r: {
  label: string; fault: Fault; result?: HandlerResult; error?: Error; from: number; jumps: { tokens: number; lost: number }; startedAt: number;
}): InvocationResult {
  const to = env.h.sim.calls.count();
  hist.functionCalls.push([r.from, to]);
  const fired = faultFired(env, r.fault, r.from, r.jumps);
  if (r.fault.kind !== 'none') hist.faults.count(r.fault.kind, fired);
  return {
    label: r.label,
    fault: r.fault,
    result: r.result,
    error: r.error,
    fired,
    mustSucceed: absorbable(r.fault, fired),
    writes: countWrites(env, r.from, to),
    startedAt: r.startedAt,
    calls: [r.from, to],
  };
}

function countWrites(env: ModelEnv, from: number, to: number): number {
  return env.h.sim.calls.list().slice(from, to).filter((c) => c.ok && MUTATING_OPERATIONS.has(c.op)).length;
}

/** `rotated generation 3`, `in-progress`, `failed: InconsistentGroupError: ...` */
export function describeOutcome(r: InvocationResult): string {
  if (r.error) return `failed: ${r.error.name}: ${r.error.message.slice(0, 200)}`;
  const res = r.result as Record<string, unknown> | undefined;
  if (res && 'outcome' in res) return `${String(res.outcome)} (generation ${String(res.generation)})`;
  if (res && 'PhysicalResourceId' in res) return `ok (generation ${String((res.Data as Record<string, string> | undefined)?.Generation ?? '-')})`;
  return 'ok';
}

export function outcomeOf(r: InvocationResult): string | undefined {
  const res = r.result as Record<string, unknown> | undefined;
  return res && typeof res.outcome === 'string' ? res.outcome : undefined;
}
