/**
 * Runs the seeded histories on every core: `shards` worker threads, each with
 * its own simulator and local DynamoDB, each running the histories whose run
 * index falls to it (see `runShard`).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CommandOptions } from './commands';
import { ModelEnv, ModelEnvOptions } from './env';
import { DEFAULT_WRAPPING_KEY_CACHE_DIR } from '../kms-simulator';
import { SynthesizedStacks, synthesizedStacks } from './policies';
import { HistoryReport, mergeWorld, runShard, ShardResult, ShardSpec, Tally, WorldStats } from './runner';

export interface ParallelRun {
  readonly seed: number;
  readonly runs: number;
  readonly shards: number;
  readonly options: CommandOptions;
  readonly env: ModelEnvOptions;
  /** Runs a single shard on a worker thread too (the bundled sources), rather than in this thread. Default false. */
  readonly thread?: boolean;
  /** Runs only this one of the `shards` shards (a jest file per part keeps each file's CPU small). Default: all. */
  readonly only?: number;
}

export interface ParallelResult {
  readonly tally: Tally;
  /** Every report, by run index. */
  readonly reports: HistoryReport[];
  readonly world: WorldStats;
}

const WORKER_SOURCE = join(__dirname, 'shard-worker.ts');
const BUNDLE_DIR = join(__dirname, '..', '..', 'node_modules', '.cache', 'cdk-rotating-imported-key-model');

/**
 * The worker's code: the TypeScript sources bundled by esbuild (milliseconds;
 * a worker loading them through ts-node would spend seconds compiling). npm
 * packages stay outside the bundle and load from node_modules.
 */
function workerBundle(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const outfile = join(BUNDLE_DIR, `shard-worker-${process.pid}.js`);
  esbuild.buildSync({
    entryPoints: [WORKER_SOURCE],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile,
    logLevel: 'error',
    // Stack traces (a crash the model reports) name the sources, not the bundle.
    sourcemap: 'inline',
    sourcesContent: false,
  });
  return outfile;
}

function runWorker(file: string, spec: ShardSpec, env: ModelEnvOptions, stacks: SynthesizedStacks): Promise<ShardResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { execArgv: ['--enable-source-maps'], workerData: { spec, env, stacks, wrappingKeyCacheDir: DEFAULT_WRAPPING_KEY_CACHE_DIR } });
    let result: ShardResult | undefined;
    worker.on('message', (m: { result?: ShardResult; error?: string }) => {
      if (m.error) reject(new Error(`shard ${spec.shard}: ${m.error}`));
      else result = m.result;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (result ? resolve(result) : reject(new Error(`shard ${spec.shard} exited with code ${code} without a result`))));
  });
}

export async function runParallel(run: ParallelRun): Promise<ParallelResult> {
  // Synthesized once here (or read from the cache) and handed to the workers.
  const stacks = synthesizedStacks();
  const specs: ShardSpec[] = Array.from({ length: Math.max(1, run.shards) }, (_, shard) => ({
    seed: run.seed, runs: run.runs, shard, shards: Math.max(1, run.shards), options: run.options,
  })).filter((spec) => run.only === undefined || spec.shard === run.only);
  let results: ShardResult[];
  if (specs.length === 1 && !run.thread) {
    results = [await inProcess(specs[0], run.env)];
  } else {
    const file = workerBundle();
    try {
      results = await Promise.all(specs.map((spec) => runWorker(file, spec, run.env, stacks)));
    } finally {
      rmSync(file, { force: true });
    }
  }
  const reports = results.flatMap((r) => r.reports).sort((a, b) => a.id - b.id);
  const tally = new Tally();
  for (const r of reports) tally.add(r);
  const world = results.map((r) => r.world).reduce(mergeWorld);
  return { tally, reports, world };
}

async function inProcess(spec: ShardSpec, options: ModelEnvOptions): Promise<ShardResult> {
  const env = await ModelEnv.start(options);
  try {
    return await runShard(env, spec);
  } finally {
    await env.stop();
  }
}
