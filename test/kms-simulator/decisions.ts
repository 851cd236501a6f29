/**
 * Counters of the access decisions of the authorization mode, per (principal, operation):
 * one decision per request that reached authorization (allowed when every check passed).
 */

export interface DecisionCount {
  readonly principal: string;
  readonly operation: string;
  readonly allowed: number;
  readonly denied: number;
}

export interface DecisionFilter {
  /** Principal ARN. */
  readonly principal?: string;
  readonly operation?: string;
}

export class DecisionLog {
  private counts = new Map<string, { principal: string; operation: string; allowed: number; denied: number }>();

  /** Every (principal, operation) with its counts, in order of first decision. */
  public list(): DecisionCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }

  public allowed(filter: DecisionFilter = {}): number {
    return this.matching(filter).reduce((n, c) => n + c.allowed, 0);
  }

  public denied(filter: DecisionFilter = {}): number {
    return this.matching(filter).reduce((n, c) => n + c.denied, 0);
  }

  public reset(): void {
    this.counts = new Map();
  }

  /** @internal */
  public record(principal: string, operation: string, allowed: boolean): void {
    const id = `${principal}\u0000${operation}`;
    const count = this.counts.get(id) ?? { principal, operation, allowed: 0, denied: 0 };
    this.counts.set(id, count);
    if (allowed) {
      count.allowed += 1;
    } else {
      count.denied += 1;
    }
  }

  private matching(filter: DecisionFilter): DecisionCount[] {
    const matches = (wanted: string | undefined, actual: string) => wanted === undefined || wanted === actual;
    return [...this.counts.values()].filter((c) => matches(filter.principal, c.principal) && matches(filter.operation, c.operation));
  }
}
