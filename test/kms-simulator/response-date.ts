/**
 * The HTTP `Date` header of the simulator's responses. The AWS SDK compares it with its own
 * clock and, when they differ by more than 5 minutes, treats the error as clock skew and
 * retries it; a test that shifts the caller's clock shifts this header by the same offset.
 */
import { realNowMs } from './real-time';

export class ResponseDate {
  constructor(private offsetMs: number = 0) {
    this.set(offsetMs);
  }

  public get offset(): number {
    return this.offsetMs;
  }

  public set(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) {
      throw new Error(`date header offset must be a finite number of milliseconds, got ${offsetMs}`);
    }
    this.offsetMs = offsetMs;
  }

  /** The header value, or undefined to let Node send the real time. */
  public header(): string | undefined {
    return this.offsetMs === 0 ? undefined : new Date(realNowMs() + this.offsetMs).toUTCString();
  }
}
