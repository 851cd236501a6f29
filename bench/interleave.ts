/**
 * Runs several variants of a measurement in alternating order, so that every
 * variant shares the same machine noise (other processes, CPU frequency,
 * thermal state) as its baseline.
 */
import { retryTransient } from './transient';

export type Variant<K extends string> = Record<K, () => Promise<number> | number>;

export interface InterleaveOptions {
  /** Measured rounds; every variant runs once per round. */
  readonly runs: number;
  /** Rounds run first and thrown away (JIT, module loading, caches). */
  readonly warmup?: number;
  /** Told of each sample measured again after a transient socket error (see transient.ts). */
  readonly onRetry?: (variant: string, attempt: number, error: unknown) => void;
}

/**
 * Every round runs each variant once; the order reverses every other round
 * (A B C, C B A, ...), so no variant always runs first or last. Each variant
 * returns the figure it measured (usually milliseconds).
 *
 * No garbage collection is forced between samples: a forced full collection
 * also throws away compiled code and type feedback, which made every sample
 * pay for recompiling (up to 2.5× slower, and unevenly so). Both variants
 * leave garbage, and alternation spreads its collection over both.
 */
export async function interleave<K extends string>(variants: Variant<K>, opts: InterleaveOptions): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const warmup = opts.warmup ?? 0;
  for (let round = 0; round < warmup + opts.runs; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      // A sample that met a transient socket error is measured again (a bounded number of times); a variant
      // whose sample has state (a rotation of a group) takes a fresh one on each call.
      const value = await retryTransient(() => variants[name](), { onRetry: (attempt, e) => opts.onRetry?.(name, attempt, e) });
      if (!Number.isFinite(value)) {
        throw new Error(`measurement error: variant ${name} returned ${value}`);
      }
      if (round >= warmup) {
        samples[name].push(value);
      }
    }
  }
  return samples;
}
