/**
 * Command-line flags of `npm run bench`.
 *
 *   --quick       fewer repetitions (a smoke run)
 *   --runs N      repetitions of every timed figure (overrides the defaults)
 *   --markdown    print only the cost table, as markdown (for the README)
 *   --fleet N     only the fleet benchmark, with N key groups (repeatable: --fleet 10 --fleet 100)
 */

export interface BenchOptions {
  readonly quick: boolean;
  readonly markdown: boolean;
  /** Measured rounds of the synth timings (each round synthesizes every size and variant). */
  readonly synthRuns: number;
  /** Measured fresh processes per size and variant of the fresh-process synth (seconds each). */
  readonly freshSynthRuns: number;
  /** Measured fresh processes per cold-start variant. */
  readonly coldStartRuns: number;
  /** Measured rotations per account. */
  readonly rotationRuns: number;
  /** Unrelated keys (each with an alias) in the crowded account. */
  readonly otherKeys: number;
  /** Fleet sizes to measure (`--fleet N`); when given, only the fleet benchmark runs. */
  readonly fleets: number[];
}

const USAGE = 'usage: npm run bench -- [--quick] [--runs N] [--markdown] [--fleet N ...]';

/** A bad command line: reported without a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let markdown = false;
  let runs: number | undefined;
  const fleets: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') {
      quick = true;
    } else if (arg === '--markdown') {
      markdown = true;
    } else if (arg === '--runs' || arg.startsWith('--runs=')) {
      const value = arg === '--runs' ? argv[++i] : arg.slice('--runs='.length);
      runs = Number(value);
      if (!Number.isInteger(runs) || runs < 1) {
        throw new UsageError(`--runs takes a whole number ≥ 1, got ${JSON.stringify(value)}`);
      }
    } else if (arg === '--fleet' || arg.startsWith('--fleet=')) {
      const value = arg === '--fleet' ? argv[++i] : arg.slice('--fleet='.length);
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 2000) {
        throw new UsageError(`--fleet takes a whole number of key groups from 1 to 2000, got ${JSON.stringify(value)}`);
      }
      fleets.push(n);
    } else if (arg === '--help' || arg === '-h') {
      throw new UsageError('Benchmarks of the construct, the function bundle and a rotation, each against its baseline.');
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return {
    quick,
    markdown,
    synthRuns: runs ?? (quick ? 3 : 7),
    freshSynthRuns: runs ?? (quick ? 1 : 4),
    coldStartRuns: runs ?? (quick ? 5 : 20),
    rotationRuns: runs ?? (quick ? 3 : 7),
    otherKeys: 10_000,
    fleets,
  };
}
