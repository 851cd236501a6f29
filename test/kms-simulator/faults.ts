/**
 * Fault injection for the KMS simulator: throttling, server errors, "fail after n calls"
 * and rate limits per operation (on the simulator's clock).
 */

/** What the server answers instead of running the operation. */
export type InjectedFault = 'throttle' | 'server-error';

/** Operation name, or `'*'` for every operation. */
export type FaultTarget = string;

interface CountedRule {
  readonly op: FaultTarget;
  remaining: number; // Infinity for 'always'
}

interface RateRule {
  readonly perSecond: number;
  readonly accepted: number[]; // timestamps (ms, the injector's clock) of accepted calls in the last second
}

export class FaultInjector {
  private throttles: CountedRule[] = [];
  private corruptions: Array<CountedRule & { mutate: (wireOutput: any) => unknown }> = [];
  private serverErrors: CountedRule[] = [];
  private rates = new Map<string, RateRule>();
  private failAfterLimit: number | undefined;
  private failAfterSeen = 0;

  /** @param nowMs the rate limits' clock (the simulator's simulated time) */
  constructor(private readonly nowMs: () => number = Date.now) {}

  /**
   * The next `count` calls to `op` (or all of them with `'always'`) are answered with
   * `ThrottlingException` (HTTP 400).
   */
  public throttle(op: FaultTarget, count: number | 'always' = 1): this {
    this.throttles.push({ op, remaining: toRemaining(count) });
    return this;
  }

  /**
   * The next `count` calls to `op` (or all of them with `'always'`) are answered with
   * `KMSInternalException` (HTTP 500).
   */
  public serverError(op: FaultTarget, count: number | 'always' = 1): this {
    this.serverErrors.push({ op, remaining: toRemaining(count) });
    return this;
  }

  /**
   * Counting all calls from now on, the first `n` calls behave normally and every later call
   * fails with `KMSInternalException` (HTTP 500).
   */
  public failAfter(n: number): this {
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`failAfter: n must be a non-negative integer, got ${n}`);
    }
    this.failAfterLimit = n;
    this.failAfterSeen = 0;
    return this;
  }

  /**
   * Calls to `op` beyond `perSecond` within any sliding one-second window of the simulator's
   * clock are answered with `ThrottlingException` (`sim.backoff` moves that clock in SDK retries). Throttled calls do not consume the budget.
   */
  public rateLimit(op: FaultTarget, perSecond: number): this {
    if (!(perSecond > 0)) {
      throw new Error(`rateLimit: perSecond must be positive, got ${perSecond}`);
    }
    this.rates.set(op, { perSecond, accepted: [] });
    return this;
  }

  /**
   * The next `count` successful answers of `op` are passed through `mutate` after the
   * operation took effect: KMS answers something the caller does not expect (a missing
   * field, an unknown key state).
   */
  public corruptResponse(op: FaultTarget, mutate: (wireOutput: any) => unknown, count: number | 'always' = 1): this {
    this.corruptions.push({ op, remaining: toRemaining(count), mutate });
    return this;
  }

  /** @internal */
  public corrupt(op: string, wireOutput: unknown): unknown {
    const rule = this.corruptions.find((r) => (r.op === op || r.op === '*') && r.remaining > 0);
    if (!rule) return wireOutput;
    rule.remaining -= 1;
    return rule.mutate(JSON.parse(JSON.stringify(wireOutput ?? {})));
  }

  /** Removes every injected fault. */
  public clear(): void {
    this.corruptions = [];
    this.throttles = [];
    this.serverErrors = [];
    this.rates.clear();
    this.failAfterLimit = undefined;
    this.failAfterSeen = 0;
  }

  /**
   * Decides the fate of one incoming call. Precedence: failAfter, server error, throttle,
   * rate limit. Consumes one unit of the matching counted rule.
   * @internal
   */
  public check(op: string, nowMs: number = this.nowMs()): InjectedFault | undefined {
    if (this.failAfterLimit !== undefined) {
      this.failAfterSeen += 1;
      if (this.failAfterSeen > this.failAfterLimit) {
        return 'server-error';
      }
    }
    if (consume(this.serverErrors, op)) {
      return 'server-error';
    }
    if (consume(this.throttles, op)) {
      return 'throttle';
    }
    for (const key of [op, '*']) {
      const rule = this.rates.get(key);
      if (!rule) {
        continue;
      }
      while (rule.accepted.length > 0 && nowMs - rule.accepted[0] >= 1000) {
        rule.accepted.shift();
      }
      if (rule.accepted.length >= rule.perSecond) {
        return 'throttle';
      }
      rule.accepted.push(nowMs);
    }
    return undefined;
  }
}

function toRemaining(count: number | 'always'): number {
  if (count === 'always') {
    return Infinity;
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`fault count must be a positive integer or 'always', got ${count}`);
  }
  return count;
}

function consume(rules: CountedRule[], op: string): boolean {
  const rule = rules.find((r) => (r.op === op || r.op === '*') && r.remaining > 0);
  if (!rule) {
    return false;
  }
  rule.remaining -= 1;
  return true;
}
