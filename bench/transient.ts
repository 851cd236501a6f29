/**
 * A sample that failed on a transient socket error (a loaded machine resets
 * or stalls a loopback connection) is measured again, a bounded number of
 * times; any other error is a measurement error and ends the run as before.
 */

/** How often a sample is tried in all (the first try and two more). */
export const SAMPLE_ATTEMPTS = 3;

const TRANSIENT_CODES: ReadonlySet<string> = new Set(['ECONNRESET']);
const TRANSIENT_NAMES: ReadonlySet<string> = new Set(['TimeoutError']);

/** ECONNRESET, "socket hang up" or a TimeoutError, here or in the error's cause (the SDK wraps some). */
export function isTransientSocketError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; typeof x === 'object' && x !== null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = x as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
    if (typeof message === 'string' && (/\bECONNRESET\b/.test(message) || /socket hang up/i.test(message))) return true;
  }
  return false;
}

export interface RetryOptions {
  /** @default SAMPLE_ATTEMPTS */
  readonly attempts?: number;
  /** Told of each retry (the benchmark writes it to stderr). */
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

/** Runs `sample` until it succeeds, fails with an error that is not transient, or the attempts are spent. */
export async function retryTransient<T>(sample: () => Promise<T> | T, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? SAMPLE_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`attempts must be a whole number ≥ 1, got ${attempts}`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await sample();
    } catch (e) {
      if (attempt >= attempts || !isTransientSocketError(e)) throw e;
      o.onRetry?.(attempt, e);
    }
  }
}
