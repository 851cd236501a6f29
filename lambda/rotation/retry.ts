/**
 * Retries with exponential backoff for KMS answers that eventual consistency
 * explains (a key we just made answering NotFoundException, a state read from
 * before our own write). The SDK retries none of these.
 *
 * Given a run (its sleep and its remaining time), the patience is the run's
 * time: AWS says propagation is "usually within seconds, sometimes minutes",
 * so a call is asked again for as long as the run can spare, keeping a
 * reserve for what follows (recording, releasing the lock, cleaning up a
 * failed Create). An answer still stale then is marked `outwaited`: the
 * rotation function ends the run cleanly and a later run continues the phase
 * (rotate.ts); the lifecycle function fails with a message saying so.
 * Given only a sleep, the patience is a fixed number of attempts.
 */
import { errorName } from './errors';

export interface Backoff {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** About 50 s in all: 0.5, 1, 2, 4, 8, 16, 16 s between eight attempts. */
export const EVENTUAL_CONSISTENCY: Backoff = { attempts: 8, baseMs: 500, maxMs: 16_000 };

/** What a run lends `eventually`: a way to wait, and its time left. */
export interface Patience {
  readonly sleep: (ms: number) => Promise<void>;
  readonly remainingMs: () => number;
}

/** Kept back from the run's time for what follows a call that is still stale. */
export const PATIENCE_RESERVE_MS = 30_000;
/** Patience never exceeds this, also with no deadline (the CLI): a little less than Lambda's longest run. */
export const PATIENCE_CEILING_MS = 14 * 60_000;

/** Between asks once the backoff's attempts are spent (timed patience only). */
export const LONG_STALENESS_DELAY_MS = 30_000;

export function delayBefore(attempt: number, b: Backoff): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** (attempt - 2));
}

/** An answer that stayed stale for as long as the run could wait; a later run may see it fresh. */
export function isOutwaited(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { outwaited?: boolean }).outwaited === true;
}

/** Runs `run` until it succeeds, an error it should not retry, or the patience is spent. */
export async function eventually<T>(
  wait: Patience | ((ms: number) => Promise<void>),
  retryOn: readonly string[],
  run: () => Promise<T>,
  b: Backoff = EVENTUAL_CONSISTENCY,
): Promise<T> {
  const timed = typeof wait === 'function' ? undefined : wait;
  const sleep = typeof wait === 'function' ? wait : wait.sleep;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (!retryOn.includes(errorName(e))) throw e;
      // Past the usual seconds, staleness is minutes: then ask every half minute.
      const delay = attempt < b.attempts ? delayBefore(attempt + 1, b) : Math.max(b.maxMs, LONG_STALENESS_DELAY_MS);
      if (!timed) {
        if (attempt >= b.attempts) throw e;
      } else if (waited + delay > PATIENCE_CEILING_MS || timed.remainingMs() - delay < PATIENCE_RESERVE_MS) {
        throw outwaited(e, waited);
      }
      await sleep(delay);
      waited += delay;
    }
  }
}

function outwaited(e: unknown, waitedMs: number): unknown {
  if (typeof e !== 'object' || e === null) return e;
  const err = e as { message?: string };
  const message = `${err.message ?? String(e)} (still so after waiting ${Math.round(waitedMs / 1000)} s for KMS to catch up: longer than this run can wait)`;
  return Object.assign(e, { outwaited: true, waitedMs, message });
}
