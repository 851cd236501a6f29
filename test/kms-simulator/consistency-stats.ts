/**
 * Counters of the stale answers the eventual consistency mode served, so that a test can
 * check the mode actually exercised the code under test.
 */

export type StaleKind = 'staleReads' | 'staleAliasResolutions' | 'newKeyNotFound';

export class ConsistencyStats {
  /** Reads (DescribeKey, ListAliases, …) whose answer differed from what the latest state would have answered. */
  public staleReads = 0;
  /** Cryptographic operations that resolved an alias to another key (or to none) than the latest state would have. */
  public staleAliasResolutions = 0;
  /** Requests refused with NotFoundException because they named a key too new to be found. */
  public newKeyNotFound = 0;
  private perOperation = new Map<string, number>();

  constructor(public readonly enabled: boolean) {}

  /** Every stale answer of any kind. */
  public get total(): number {
    return this.staleReads + this.staleAliasResolutions + this.newKeyNotFound;
  }

  /** Stale answers per operation. */
  public byOperation(): Record<string, number> {
    return Object.fromEntries(this.perOperation);
  }

  public reset(): void {
    this.staleReads = 0;
    this.staleAliasResolutions = 0;
    this.newKeyNotFound = 0;
    this.perOperation = new Map();
  }

  /** @internal */
  public count(kind: StaleKind, op: string): void {
    this[kind] += 1;
    this.perOperation.set(op, (this.perOperation.get(op) ?? 0) + 1);
  }
}
