/**
 * Seeded pseudo-random numbers for the simulator's nondeterminism (read lag, new-key
 * visibility), so that a failing test reproduces from its seed.
 *
 * Each draw hashes (seed, stream, counter) with SHA-256: independent streams do not shift
 * each other when one of them is drawn more often (a test doing one more read does not
 * change the visibility delays of the keys it creates).
 */
import { createHash } from 'crypto';

const UINT32_RANGE = 0xffffffff;

/** A uniform number in [0, 1] determined by `parts`. */
export function hashToUnit(...parts: Array<string | number>): number {
  const digest = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
  return digest.readUInt32BE(0) / UINT32_RANGE;
}

export class SeededRandom {
  private counter = 0;

  constructor(
    private readonly seed: number,
    private readonly stream: string,
  ) {}

  /** Next number of this stream, uniform in [0, 1]. */
  public next(): number {
    this.counter += 1;
    return hashToUnit(this.seed, this.stream, this.counter);
  }

  /** Next number of this stream, uniform in [0, max]. */
  public uniform(max: number): number {
    return this.next() * max;
  }
}
