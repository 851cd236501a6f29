/**
 * Runs histories: one history is a fresh key group on the shared simulator,
 * a forged key, a clean deploy, then the generated commands with every
 * invariant checked after every step. Shared by the jest test and the CLI;
 * it returns what it found and never asserts.
 */
import fc from 'fast-check';
import { Cmd, commandArbitraries, CommandOptions, intervalArbitrary, Recreate, startArbitrary, ViolationsFound } from './commands';
import { ModelEnv } from './env';
import { FaultCounter, NO_FAULT } from './faults';
import { aimForgedKey, forgeKey, History, HistorySetup } from './history';
import { MS_PER_SECOND } from '../kms-simulator';

export const DEFAULT_SEED = 20261122;
/** Commands generated per history; at most MAX_STEPS of them run (the others fail their precondition or come too late). */
export const MAX_COMMANDS = 40;

export interface HistoryInput {
  readonly setup: HistorySetup;
  readonly commands: Iterable<Cmd>;
}

export interface HistoryReport {
  readonly id: number;
  readonly setup: HistorySetup;
  /** Commands executed (the deploy before them is not counted). */
  readonly steps: number;
  readonly faults: FaultCounter;
  readonly violations: readonly string[];
  /** Every executed step with its outcome, deploy first. */
  readonly trace: readonly string[];
}

/** `replayPath` (printed with a counterexample's commands) replays a shrunk history together with `{ seed, path }`. */
export function historyArbitrary(o: CommandOptions = {}, replayPath?: string): fc.Arbitrary<HistoryInput> {
  return fc.record({
    setup: fc.record({ start: startArbitrary(), intervalMonths: intervalArbitrary() }),
    commands: fc.commands(commandArbitraries(o), { maxCommands: MAX_COMMANDS, size: 'max', replayPath }),
  });
}

let nextHistoryId = 1;

export async function runHistory(env: ModelEnv, input: HistoryInput): Promise<HistoryReport> {
  const hist = new History(nextHistoryId++, input.setup);
  env.beginHistory(input.setup.start);
  try {
    hist.materialsFrom = env.h.sim.state.importedMaterials().length;
    await forgeKey(env, hist);
    // The forged key is older than any claim of this history, so no resumed run may take it for its own.
    env.h.sim.clock.advance(MS_PER_SECOND);
    await new Recreate(input.setup.intervalMonths, NO_FAULT, `deploy the stack (interval ${input.setup.intervalMonths})`).run(hist, env);
    const generation1 = env.h.aliasTarget(hist.group.aliasName);
    if (generation1) await aimForgedKey(env, hist, generation1);
    hist.steps = 0;
    await fc.asyncModelRun(() => ({ model: hist, real: env }), input.commands);
  } catch (e) {
    if (!(e instanceof ViolationsFound)) hist.violations.push(`test error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    // MODEL_DUMP_CALLS=1 prints every KMS call of the history (with --path, the replayed counterexample's).
    if (process.env.MODEL_DUMP_CALLS) for (const c of env.h.sim.calls.list()) console.log(c.op, c.ok ? 'ok' : c.error, JSON.stringify(c.request).slice(0, 140));
    await env.endHistory();
  }
  return { id: hist.id, setup: input.setup, steps: hist.steps, faults: hist.faults, violations: hist.violations, trace: hist.trace };
}

/** Totals over many histories. */
export class Tally {
  histories = 0;
  steps = 0;
  maxSteps = 0;
  failed = 0;
  readonly faults = new FaultCounter();

  add(r: HistoryReport): void {
    this.histories += 1;
    this.steps += r.steps;
    this.maxSteps = Math.max(this.maxSteps, r.steps);
    if (r.violations.length > 0) this.failed += 1;
    this.faults.add(r.faults);
  }

  summary(): string {
    return `histories: ${this.histories}, steps: ${this.steps}, faults: ${this.faults.total()}, violations: ${this.failed}`;
  }

  lengths(): string {
    return `average ${(this.steps / Math.max(1, this.histories)).toFixed(1)} steps, max ${this.maxSteps}`;
  }
}

export function formatCounterexample(c: Counterexample): string {
  const replay = `seed ${c.seed}, path "${c.path}"${c.replayPath ? `, replayPath "${c.replayPath}"` : ''}`;
  const how = c.reproduced ? `shrunk ${c.shrinks} times` : 'not shrunk: it did not fail again when replayed (timing)';
  return `counterexample (run ${c.runIndex}, ${how}; replay: ${replay})\n${formatReport(c.report)}`;
}

export function formatReport(r: HistoryReport): string {
  return [
    `history ${r.id}: start ${r.setup.start.toISOString()}, interval ${r.setup.intervalMonths} months`,
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
  /** False when replaying the run did not fail again (the failure depended on timing): `report` is the original run. */
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

/**
 * Runs `runs` histories (never stopping at a failure), then shrinks each
 * failing one by replaying its run index: the CLI's whole job.
 */
export async function runMany(
  env: ModelEnv, runs: number, seed: number, o: CommandOptions = {},
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
  for (const runIndex of failing) {
    const shrunk = await shrinkHistory(env, seed, String(runIndex), o);
    counterexamples.push(shrunk ?? { runIndex, seed, path: String(runIndex), shrinks: 0, reproduced: false, report: reports[runIndex] });
  }
  return { tally, counterexamples };
}
