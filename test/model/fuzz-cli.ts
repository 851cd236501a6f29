/**
 * `npm run fuzz -- --runs N --seed S`: runs N model histories outside jest
 * (on two worker threads by default), prints every failing history shrunk to
 * a minimal counterexample, what the world did (stale answers, access
 * decisions), a breakdown of the faults injected, and ends with exactly
 * `histories: N, steps: M, faults: F, violations: V` (V = histories with a
 * violation). Exit code 1 when V > 0.
 *
 * Options:
 *   --workers W              worker threads (default 2; 1 runs in this process)
 *   --no-lifecycle           no stack deletes and re-deploys
 *   --lost-responses         also lose answers after the operation took effect (the SDK retries it)
 *   --tampering              histories with the tampering actor (tampering.ts; a shorter shape)
 *   --no-consistency         the simulator's reads are never stale
 *   --no-authorization       the simulator allows every request (and every principal is the admin)
 *   --shrink K               shrink at most K failing histories (default 5; the others are printed as they ran)
 *   --path P [--replay-path R]  replay (and shrink further) one printed counterexample of --seed
 *
 * MODEL_DUMP_CALLS=1 also prints every KMS request of the functions in each history (useful with --path).
 */
import { envOptionsFor, ModelEnv } from './env';
import { runParallel } from './parallel';
import { Counterexample, DEFAULT_SEED, describeWorld, formatCounterexample, shrinkHistory } from './runner';

interface Args {
  runs: number;
  seed: number;
  workers: number;
  lifecycle: boolean;
  lostResponses: boolean;
  tampering: boolean;
  consistency: boolean;
  authorization: boolean;
  shrink: number;
  path?: string;
  replayPath?: string;
}

const USAGE = 'usage: fuzz-cli --runs N --seed S [--workers W] [--no-lifecycle] [--lost-responses] [--tampering] [--no-consistency] [--no-authorization] [--shrink K] [--path P [--replay-path R]]';

function parseArgs(argv: string[]): Args {
  const args: Args = {
    ...{ runs: 100, seed: DEFAULT_SEED, workers: 2, lifecycle: true, lostResponses: false },
    ...{ tampering: false, consistency: true, authorization: true, shrink: 5 },
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value; ${USAGE}`);
      return argv[++i];
    };
    const whole = () => {
      const v = Number(next());
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${arg} needs a whole number (got ${JSON.stringify(argv[i])}); ${USAGE}`);
      return v;
    };
    if (arg === '--runs') args.runs = whole();
    else if (arg === '--seed') args.seed = whole();
    else if (arg === '--workers') args.workers = Math.max(1, whole());
    else if (arg === '--no-lifecycle') args.lifecycle = false;
    else if (arg === '--lost-responses') args.lostResponses = true;
    else if (arg === '--tampering') args.tampering = true;
    else if (arg === '--no-consistency') args.consistency = false;
    else if (arg === '--no-authorization') args.authorization = false;
    else if (arg === '--shrink') args.shrink = whole();
    else if (arg === '--path') args.path = next();
    else if (arg === '--replay-path') args.replayPath = next();
    else if (arg !== '--') throw new Error(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const options = { lifecycle: args.lifecycle, lostResponses: args.lostResponses, tampering: args.tampering };
  const envOptions = envOptionsFor(args.seed, args);
  if (args.path !== undefined) {
    const env = await ModelEnv.start(envOptions);
    try {
      const c = await shrinkHistory(env, args.seed, args.path, options, args.replayPath);
      console.log(c ? formatCounterexample(c) : `seed ${args.seed}, path "${args.path}": no violation when replayed`);
      return c ? 1 : 0;
    } finally {
      await env.stop();
    }
  }
  const started = Date.now();
  const { tally, reports, world } = await runParallel({ seed: args.seed, runs: args.runs, shards: args.workers, options, env: envOptions });
  const ran = (Date.now() - started) / 1000;
  const failing = reports.filter((r) => r.violations.length > 0);
  const counterexamples: Counterexample[] = [];
  if (failing.length > 0 && args.shrink > 0) {
    const env = await ModelEnv.start(envOptions);
    try {
      for (const r of failing.slice(0, args.shrink)) {
        const shrunk = await shrinkHistory(env, args.seed, String(r.id - 1), options);
        counterexamples.push(shrunk ?? { runIndex: r.id - 1, seed: args.seed, path: String(r.id - 1), shrinks: 0, reproduced: false, report: r });
      }
    } finally {
      await env.stop();
    }
  }
  for (const r of failing.slice(counterexamples.length)) {
    counterexamples.push({ runIndex: r.id - 1, seed: args.seed, path: String(r.id - 1), shrinks: 0, reproduced: false, report: r });
  }
  for (const c of counterexamples) console.log(`\n${formatCounterexample(c)}`);
  console.log(`\nlengths: ${tally.lengths()}; wall time ${ran.toFixed(1)} s on ${args.workers} worker(s)${counterexamples.length > 0 ? `, then ${((Date.now() - started) / 1000 - ran).toFixed(1)} s shrinking` : ''}`);
  console.log(describeWorld(world));
  console.log(`writer's Encrypt through a brand-new alias not found yet (eventual consistency, allowed): ${tally.freshAliasMisses}`);
  console.log(`invocations: ${tally.outcomeSummary()}`);
  console.log(`faults by kind: ${tally.faults.breakdown()}`);
  console.log(tally.summary());
  return tally.failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; }, (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exitCode = 2;
  });
}
