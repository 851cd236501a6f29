/**
 * Runs histories: one history is a fresh key group (its own group id, alias
 * and ledger table) on the shared simulator and DynamoDB, a forged key, the
 * first deploy, then the generated commands with every invariant checked
 * after every step. Shared by the jest tests, the shard workers and the CLI;
 * it returns what it found and never asserts.
 */
import fc from 'fast-check';
import { readerDecrypts } from './checks';
import { Cmd, commandArbitrary, CommandOptions, firstDeploy, intervalArbitrary, startArbitrary, ViolationsFound } from './commands';
import { ModelEnv } from './env';
import { ALL_FAULT_KINDS, FaultCounter, FaultKind } from './faults';
import { forgeKey, History, HistorySetup } from './history';
import { RemovalChoice } from './policies';
import { tamperingArbitrary } from './tampering';

export const DEFAULT_SEED = 20261122;
/** Commands generated per history; at most MAX_STEPS of them run (the others fail their precondition). */
export const MAX_COMMANDS = 14;
/** Commands generated per tampering history (a dedicated, shorter shape: the actor's steps each run a function and a repair). */
export const TAMPERING_MAX_COMMANDS = 6;

export interface HistoryInput {
  readonly setup: HistorySetup;
  readonly commands: Iterable<Cmd>;
}

export interface FaultCounts {
  readonly injected: Record<FaultKind, number>;
  readonly fired: Record<FaultKind, number>;
  readonly timeouts: number;
}

/** What one history did (plain data: it crosses from a shard worker to the main thread). */
export interface HistoryReport {
  readonly id: number;
  readonly setup: HistorySetup;
  /** Commands executed (the first deploy is not counted). */
  readonly steps: number;
  /** Function invocations (the first deploy included). */
  readonly invocations: number;
  /** `rotate-if-due promoted`, `update failed`, … -> invocations. */
  readonly outcomes: Record<string, number>;
  readonly faults: FaultCounts;
  readonly freshAliasMisses: number;
  readonly violations: readonly string[];
  /** Every executed step with its outcome, the first deploy first. */
  readonly trace: readonly string[];
}

export function setupArbitrary(): fc.Arbitrary<HistorySetup> {
  return fc.record({ start: startArbitrary(), intervalMonths: intervalArbitrary(), removal: fc.constantFrom<RemovalChoice>('retain', 'destroy') });
}

/** `replayPath` (printed with a counterexample's commands) replays a shrunk history together with `{ seed, path }`. */
export function historyArbitrary(o: CommandOptions = {}, replayPath?: string): fc.Arbitrary<HistoryInput> {
  return fc.record({
    setup: setupArbitrary(),
    commands: o.tampering
      ? fc.commands([fc.oneof(commandArbitrary(o), tamperingArbitrary())], { maxCommands: TAMPERING_MAX_COMMANDS, size: 'max', replayPath })
      : fc.commands([commandArbitrary(o)], { maxCommands: MAX_COMMANDS, size: 'max', replayPath }),
  });
}

let nextHistoryId = 10_000;

/** Runs one history. `id` names its group (`model-<id>`); by default a fresh number. */
export async function runHistory(env: ModelEnv, input: HistoryInput, id = nextHistoryId++): Promise<HistoryReport> {
  const hist = new History(id, input.setup, env);
  await env.beginHistory(input.setup.start);
  try {
    hist.materialsFrom = env.h.sim.state.importedMaterials().length;
    hist.tokensFrom = env.h.sim.state.issuedImportTokens().length;
    hist.readsFrom = env.h.db.reads.length;
    hist.logFrom = env.h.log.lines.length;
    await forgeKey(env, hist);
    await firstDeploy().run(hist, env);
    hist.steps = 0;
    await fc.asyncModelRun(() => ({ model: hist, real: env }), input.commands);
    // At the end, every ciphertext kept must still decrypt.
    if (hist.group.phase !== 'destroyed' && hist.group.phase !== 'creating') {
      const v = await readerDecrypts({ env, hist }, 'all');
      if (v.length > 0) {
        hist.trace.push('end: the reader decrypts every ciphertext kept');
        hist.violations.push(...v);
      }
    }
  } catch (e) {
    if (!(e instanceof ViolationsFound)) hist.violations.push(`test error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    // MODEL_DUMP_CALLS=1 prints every KMS request of the functions (with --path, the replayed counterexample's).
    if (process.env.MODEL_DUMP_CALLS) {
      for (const c of hist.calls) console.log(new Date(c.at).toISOString(), c.op, c.status, JSON.stringify(c.request).slice(0, 200));
    }
    await env.endHistory();
  }
  return {
    id: hist.id,
    setup: input.setup,
    steps: hist.steps,
    invocations: hist.invocations,
    outcomes: { ...hist.outcomes },
    faults: { injected: { ...hist.faults.injected }, fired: { ...hist.faults.fired }, timeouts: hist.faults.timeouts },
    freshAliasMisses: hist.freshAliasMisses,
    violations: [...hist.violations],
    trace: [...hist.trace],
  };
}

/** What the world did to the functions in one environment (plain data). */
export interface WorldStats {
  readonly consistency: ModelEnv['options']['consistency'];
  readonly authorization: ModelEnv['options']['authorization'];
  readonly synthesizedPolicies: boolean;
  readonly staleReads: number;
  readonly staleAliasResolutions: number;
  readonly newKeyNotFound: number;
  readonly allowed: number;
  /** `principal operation` -> denied decisions. */
  readonly denied: Record<string, number>;
}

export function worldStats(env: ModelEnv): WorldStats {
  const c = env.h.sim.consistency;
  const denied: Record<string, number> = {};
  for (const d of env.h.sim.authorization.decisions.list()) {
    if (d.denied > 0) denied[`${d.principal.split('/').pop()} ${d.operation}`] = d.denied;
  }
  return {
    consistency: env.options.consistency,
    authorization: env.options.authorization,
    synthesizedPolicies: env.options.synthesizedPolicies,
    staleReads: c.staleReads,
    staleAliasResolutions: c.staleAliasResolutions,
    newKeyNotFound: c.newKeyNotFound,
    allowed: env.h.sim.authorization.decisions.allowed(),
    denied,
  };
}

export function mergeWorld(a: WorldStats, b: WorldStats): WorldStats {
  const denied = { ...a.denied };
  for (const [k, n] of Object.entries(b.denied)) denied[k] = (denied[k] ?? 0) + n;
  return {
    ...a,
    staleReads: a.staleReads + b.staleReads,
    staleAliasResolutions: a.staleAliasResolutions + b.staleAliasResolutions,
    newKeyNotFound: a.newKeyNotFound + b.newKeyNotFound,
    allowed: a.allowed + b.allowed,
    denied,
  };
}

export function describeWorld(w: WorldStats): string {
  const c = w.consistency;
  const a = w.authorization;
  const lines = [
    `eventual consistency ${c ? `on (reads up to ${c.readLagMs} ms old, new keys not found for up to ${c.newKeyNotFoundMs} ms): ${w.staleReads} stale reads, ${w.staleAliasResolutions} stale alias resolutions, ${w.newKeyNotFound} new-key NotFound answers` : 'off'}`,
    `authorization ${a ? `on (alias, tag and policy changes reach it ${a.propagationMs} ms late), ${w.synthesizedPolicies ? 'each function, the writer and the reader holding only their synthesized policies' : 'everyone the admin'}: ${w.allowed} requests allowed` : 'off'}`,
  ];
  const denied = Object.entries(w.denied).map(([k, n]) => `${k} x${n}`);
  if (denied.length > 0) lines.push(`denied: ${denied.join(', ')} (the admin's are the checks that a fenced generation refuses Encrypt)`);
  return lines.join('\n');
}

/** Totals over many histories. */
export class Tally {
  histories = 0;
  steps = 0;
  maxSteps = 0;
  invocations = 0;
  failed = 0;
  freshAliasMisses = 0;
  readonly outcomes: Record<string, number> = {};
  readonly faults = new FaultCounter();

  add(r: HistoryReport): void {
    this.histories += 1;
    for (const [k, n] of Object.entries(r.outcomes)) this.outcomes[k] = (this.outcomes[k] ?? 0) + n;
    this.steps += r.steps;
    this.invocations += r.invocations;
    this.maxSteps = Math.max(this.maxSteps, r.steps);
    this.freshAliasMisses += r.freshAliasMisses;
    if (r.violations.length > 0) this.failed += 1;
    for (const k of ALL_FAULT_KINDS) {
      this.faults.injected[k] += r.faults.injected[k];
      this.faults.fired[k] += r.faults.fired[k];
    }
    this.faults.timeouts += r.faults.timeouts;
  }

  summary(): string {
    return `histories: ${this.histories}, steps: ${this.steps}, faults: ${this.faults.total()}, violations: ${this.failed}`;
  }

  /** Invocations by entry point and outcome. */
  outcomeSummary(): string {
    return Object.entries(this.outcomes).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  }

  lengths(): string {
    return `average ${(this.steps / Math.max(1, this.histories)).toFixed(1)} steps, max ${this.maxSteps}; ${this.invocations} function invocations`;
  }
}

export function formatReport(r: HistoryReport): string {
  return [
    `history ${r.id}: start ${new Date(r.setup.start).toISOString()}, interval ${r.setup.intervalMonths} months, removal ${r.setup.removal}`,
    ...r.trace.map((t, i) => `  ${i === 0 ? 'setup' : String(i).padStart(5)}. ${t}`),
    'violations:',
    ...r.violations.map((v) => `  - ${v}`),
  ].join('\n');
}

export interface Counterexample {
  readonly runIndex: number;
  readonly seed: number;
  readonly path: string;
  /** The commands' own replay hint (fast-check `fc.commands({ replayPath })`). */
  readonly replayPath?: string;
  readonly shrinks: number;
  /** False when replaying the run did not fail again: `report` is the original run. */
  readonly reproduced: boolean;
  readonly report: HistoryReport;
}

export function formatCounterexample(c: Counterexample): string {
  const replay = `npm run fuzz -- --seed ${c.seed} --path "${c.path}"${c.replayPath ? ` --replay-path "${c.replayPath}"` : ''}`;
  const how = c.reproduced
    ? `shrunk ${c.shrinks} times`
    : 'not shrunk: replayed alone it did not fail again (the eventual consistency draws of a history depend on the histories before it)';
  return `counterexample (run ${c.runIndex}, ${how}; replay: ${replay})\n${formatReport(c.report)}`;
}

/** The property: a history passes when no step violated anything. `onReport` sees every run (shrinks included). */
export function historyProperty(env: ModelEnv, o: CommandOptions = {}, onReport?: (r: HistoryReport) => void, replayPath?: string) {
  return fc.asyncProperty(historyArbitrary(o, replayPath), async (input) => {
    const report = await runHistory(env, input);
    onReport?.(report);
    if (report.violations.length > 0) throw new Error(formatReport(report));
  });
}

/** Shrinks the history at `path` of `seed` (a run index, or a printed counterexample path with its replayPath). */
export async function shrinkHistory(
  env: ModelEnv, seed: number, path: string, o: CommandOptions = {}, replayPath?: string,
): Promise<Counterexample | undefined> {
  let last: HistoryReport | undefined;
  const details = await fc.check(historyProperty(env, o, (r) => { if (r.violations.length > 0) last = r; }, replayPath), { seed, path });
  if (!details.failed || !last) return undefined;
  const printed = String((details.counterexample?.[0] as HistoryInput | undefined)?.commands ?? '');
  return {
    runIndex: Number(path.split(':')[0]),
    seed,
    path: details.counterexamplePath ?? path,
    replayPath: /replayPath="([^"]*)"/.exec(printed)?.[1],
    shrinks: details.numShrinks,
    reproduced: true,
    report: last,
  };
}

export interface ShardSpec {
  readonly seed: number;
  readonly runs: number;
  /** This shard runs the histories whose run index is `shard` modulo `shards`. */
  readonly shard: number;
  readonly shards: number;
  readonly options: CommandOptions;
}

export interface ShardResult {
  readonly reports: HistoryReport[];
  readonly world: WorldStats;
}

/**
 * Runs the histories of one shard of `runs` seeded histories. fast-check
 * draws every history of the seed in order (drawing is cheap), so run index i
 * is the same history in every shard and in a replay with `path: "i"`.
 */
export async function runShard(env: ModelEnv, spec: ShardSpec): Promise<ShardResult> {
  const reports: HistoryReport[] = [];
  let index = 0;
  const details = await fc.check(fc.asyncProperty(historyArbitrary(spec.options), async (input) => {
    const i = index++;
    if (i % spec.shards !== spec.shard) return;
    reports.push(await runHistory(env, input, i + 1));
  }), { seed: spec.seed, numRuns: spec.runs, endOnFailure: true });
  if (details.failed) throw new Error(`the runner itself failed: ${String(details.errorInstance)}`);
  return { reports, world: worldStats(env) };
}
