/**
 * Bounded retries with exponential backoff for KMS answers that eventual
 * consistency explains (a key we just made answering NotFoundException, a
 * state read from before our own write). The SDK retries none of these.
 */
import { errorName } from './errors';

export interface Backoff {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** About 50 s in all: 0.5, 1, 2, 4, 8, 16, 16 s between eight attempts. */
export const EVENTUAL_CONSISTENCY: Backoff = { attempts: 8, baseMs: 500, maxMs: 16_000 };

export function delayBefore(attempt: number, b: Backoff): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** (attempt - 2));
}

/** Runs `run` until it succeeds, an error it should not retry, or the attempts are spent. */
export async function eventually<T>(
  sleep: (ms: number) => Promise<void>,
  retryOn: readonly string[],
  run: () => Promise<T>,
  b: Backoff = EVENTUAL_CONSISTENCY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (attempt >= b.attempts || !retryOn.includes(errorName(e))) throw e;
      await sleep(delayBefore(attempt + 1, b));
    }
  }
}
