/**
 * Runs histories: one history is a fresh key group (its own group id, alias
 * and ledger table) on the shared simulator and DynamoDB, a forged key, the
 * first deploy, then the generated commands with every invariant checked
 * after every step. Shared by the jest tests and the CLI; it returns what it
 * found and never asserts.
 */
import fc from 'fast-check';
import { Cmd, commandArbitrary, CommandOptions, firstDeploy, intervalArbitrary, startArbitrary, ViolationsFound } from './commands';
import { ModelEnv } from './env';
import { FaultCounter } from './faults';
import { forgeKey, History, HistorySetup } from './history';
import { readerDecrypts } from './checks';
import { RemovalChoice } from './policies';

export const DEFAULT_SEED = 20261122;
/** Commands generated per history; at most MAX_STEPS of them run (the others fail their precondition or come too late). */
export const MAX_COMMANDS = 30;

export interface HistoryInput {
  readonly setup: HistorySetup;
  readonly commands: Iterable<Cmd>;
}

export interface HistoryReport {
  readonly id: number;
  readonly setup: HistorySetup;
  /** Commands executed (the first deploy is not counted). */
  readonly steps: number;
  /** Function invocations (the first deploy included). */
  readonly invocations: number;
  readonly faults: FaultCounter;
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
    commands: fc.commands([commandArbitrary(o)], { maxCommands: MAX_COMMANDS, size: 'max', replayPath }),
  });
}

let nextHistoryId = 1;

export async function runHistory(env: ModelEnv, input: HistoryInput): Promise<HistoryReport> {
  const hist = new History(nextHistoryId++, input.setup, env);
  await env.beginHistory(input.setup.start);
  try {
    hist.materialsFrom = env.h.sim.state.importedMaterials().length;
    hist.tokensFrom = env.h.sim.state.issuedImportTokens().length;
    hist.readsFrom = env.h.db.reads.length;
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
    if (process.env.MODEL_DUMP_CALLS) for (const c of hist.calls) console.log(new Date(c.at).toISOString(), c.op, c.status, JSON.stringify(c.request).slice(0, 160));
    await env.endHistory();
  }
  return {
    id: hist.id,
    setup: input.setup,
    steps: hist.steps,
    invocations: hist.invocations,
    faults: hist.faults,
    freshAliasMisses: hist.freshAliasMisses,
    violations: hist.violations,
    trace: hist.trace,
  };
}

/** Totals over many histories. */
export class Tally {
  histories = 0;
  steps = 0;
  maxSteps = 0;
  invocations = 0;
  failed = 0;
  freshAliasMisses = 0;
  readonly faults = new FaultCounter();

  add(r: HistoryReport): void {
    this.histories += 1;
    this.steps += r.steps;
    this.invocations += r.invocations;
    this.maxSteps = Math.max(this.maxSteps, r.steps);
    this.freshAliasMisses += r.freshAliasMisses;
    if (r.violations.length > 0) this.failed += 1;
    this.faults.add(r.faults);
  }

  summary(): string {
    return `histories: ${this.histories}, steps: ${this.steps}, faults: ${this.faults.total()}, violations: ${this.failed}`;
  }

  lengths(): string {
    return `average ${(this.steps / Math.max(1, this.histories)).toFixed(1)} steps, max ${this.maxSteps}; ${this.invocations} function invocations`;
  }
}

/** What the world did to the functions: the simulator's stale answers and access decisions. */
export function worldSummary(env: ModelEnv): string {
  const c = env.h.sim.consistency;
  const parts = [
    `eventual consistency ${env.options.consistency ? `on (read lag <= ${env.options.consistency.readLagMs} ms, new keys not found <= ${env.options.consistency.newKeyNotFoundMs} ms): ${c.staleReads} stale reads, ${c.staleAliasResolutions} stale alias resolutions, ${c.newKeyNotFound} new-key NotFound` : 'off'}`,
    `authorization ${env.options.authorization ? `on (propagation ${env.options.authorization.propagationMs} ms), ${env.options.synthesizedPolicies ? 'functions, writer and reader holding only their synthesized policies' : 'everyone admin'}` : 'off'}`,
  ];
  const denied = env.h.sim.authorization.decisions.list().filter((d) => d.denied > 0).map((d) => `${d.principal.split('/').pop()} ${d.operation} x${d.denied}`);
  if (denied.length > 0) parts.push(`denied: ${denied.join(', ')}`);
  return parts.join('\n');
}

export function formatCounterexample(c: Counterexample): string {
  const replay = `seed ${c.seed}, path "${c.path}"${c.replayPath ? `, replayPath "${c.replayPath}"` : ''}`;
  const how = c.reproduced ? `shrunk ${c.shrinks} times` : 'not shrunk: it did not fail again when replayed (eventual consistency draws differ between runs)';
  return `counterexample (run ${c.runIndex}, ${how}; replay: ${replay})\n${formatReport(c.report)}`;
}

export function formatReport(r: HistoryReport): string {
  return [
    `history ${r.id}: start ${r.setup.start.toISOString()}, interval ${r.setup.intervalMonths} months, removal ${r.setup.removal}`,
    ...r.trace.map((t, i) => `  ${i === 0 ? 'setup' : String(i).padStart(5)}. ${t}`),
    'violations:',
    ...r.violations.map((v) => `  - ${v}`),
  ].join('\n');
}

/** The property: a history passes when no step violated anything. `onReport` sees every run (shrinks included). */
export function historyProperty(env: ModelEnv, o: CommandOptions = {}, onReport?: (r: HistoryReport) => void, replayPath?: string) {
  return fc.asyncProperty(historyArbitrary(o, replayPath), async (input) => {
    const report = await runHistory(env, input);
    onReport?.(report);
    if (report.violations.length > 0) throw new Error(formatReport(report));
  });
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

/** Runs `runs` histories (never stopping at a failure), then shrinks each failing one by replaying its run index. */
export async function runMany(
  env: ModelEnv, runs: number, seed: number, o: CommandOptions = {}, shrinkAtMost = Infinity,
): Promise<{ tally: Tally; counterexamples: Counterexample[] }> {
  const tally = new Tally();
  const failing: number[] = [];
  const reports: HistoryReport[] = [];
  await fc.check(fc.asyncProperty(historyArbitrary(o), async (input) => {
    const r = await runHistory(env, input);
    if (r.violations.length > 0) failing.push(tally.histories);
    reports.push(r);
    tally.add(r);
  }), { seed, numRuns: runs });
  const counterexamples: Counterexample[] = [];
  for (const runIndex of failing.slice(0, shrinkAtMost)) {
    const shrunk = await shrinkHistory(env, seed, String(runIndex), o);
    counterexamples.push(shrunk ?? { runIndex, seed, path: String(runIndex), shrinks: 0, reproduced: false, report: reports[runIndex] });
  }
  for (const runIndex of failing.slice(shrinkAtMost)) {
    counterexamples.push({ runIndex, seed, path: String(runIndex), shrinks: 0, reproduced: false, report: reports[runIndex] });
  }
  return { tally, counterexamples };
}
