/**
 * A token bucket on real (wall-clock) time: `ratePerSecond` tokens per second, holding at most
 * one second's worth (and at least one token), full at the start.
 */
export class TokenBucket {
  private readonly capacity: number;
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly ratePerSecond: number,
    nowMs: number,
  ) {
    if (!(ratePerSecond > 0)) {
      throw new Error(`quota rate must be positive, got ${ratePerSecond}`);
    }
    this.capacity = Math.max(1, ratePerSecond);
    this.tokens = this.capacity;
    this.lastMs = nowMs;
  }

  /** Takes one token if there is one. */
  public take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.lastMs = nowMs;
    if (this.tokens < 1) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}
