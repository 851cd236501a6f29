/**
 * Eventual consistency mode (kms-facts §10): KMS reads may show the state of a moment ago,
 * and a new key may not be found for a while after CreateKey. Times are simulated-clock times.
 *
 * - Lagged reads: DescribeKey, ListAliases, ListResourceTags, GetKeyPolicy, ListKeys and the
 *   tagging API GetResources answer from the state as of `now - lag`, with `lag` drawn per
 *   request uniformly from [0, readLagMs]. A key or alias that did not exist then is not found.
 * - Cryptographic operations resolve an alias named in the request in that lagged state (so a
 *   caller may reach an alias's previous key for up to readLagMs after UpdateAlias), and then
 *   use the latest state of the key.
 * - New keys: every operation that names a key by key id or key ARN answers NotFoundException
 *   until `creation + d`, `d` drawn per key from [0, newKeyNotFoundMs].
 * - Writes are checked against the latest state (linearizable).
 *
 * With `exact`, nothing is drawn: every lagged read lags the full readLagMs and every new key
 * stays unfound the full newKeyNotFoundMs (a fixed staleness). Otherwise draws are seeded: the lag stream advances once per lagged request, the delay of a key
 * depends only on the seed and the key's creation order.
 */
import { ConsistencyStats } from './consistency-stats';
import { SimError } from './errors';
import type { Handler, HandlerContext, Output } from './handlers';
import type { ChangeHistory } from './history';
import type { Input } from './input';
import type { AliasRecord, KeyRecord } from './model';
import { hashToUnit, SeededRandom } from './prng';
import type { StateView } from './state-view';
import type { SimStore } from './store';
import { toWire } from './wire';

export interface ConsistencyOptions {
  /** Seed of every random draw of the mode. */
  readonly seed: number;
  /** Reads see the state of up to this many simulated milliseconds ago. */
  readonly readLagMs: number;
  /** A new key is not found by id/ARN for up to this many simulated milliseconds. */
  readonly newKeyNotFoundMs: number;
  /** Every lagged read lags exactly readLagMs and every new key stays unfound exactly newKeyNotFoundMs (no draws). Default false. */
  readonly exact?: boolean;
}

export const LAGGED_READS: ReadonlySet<string> = new Set(['DescribeKey', 'ListAliases', 'ListResourceTags', 'GetKeyPolicy', 'ListKeys', 'GetResources']);
export const ALIAS_RESOLVING_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt', 'Decrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncrypt', 'GenerateMac', 'VerifyMac',
]);

/** NotFoundException for a key that exists but is too new to be found. */
export class NewKeyNotFound extends SimError {
  constructor(key: KeyRecord) {
    super('NotFoundException', `Key '${key.arn}' does not exist`);
  }
}

/** The state of a moment ago; notes alias lookups whose answer is no longer the latest. */
class LaggedView implements StateView {
  public staleAlias = false;

  constructor(
    private readonly past: StateView,
    private readonly latest: StateView,
  ) {}

  public key(id: string): KeyRecord | undefined {
    return this.past.key(id);
  }

  public alias(name: string): AliasRecord | undefined {
    const alias = this.past.alias(name);
    if (alias?.targetKeyId !== this.latest.alias(name)?.targetKeyId) {
      this.staleAlias = true;
    }
    return alias;
  }

  public keys(): KeyRecord[] {
    return this.past.keys();
  }

  public aliases(): AliasRecord[] {
    return this.past.aliases();
  }
}

type Outcome = { ok: true; output: Output } | { ok: false; error: unknown };

async function outcomeOf(run: () => Output | Promise<Output>): Promise<Outcome> {
  try {
    return { ok: true, output: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.ok && b.ok) {
    return JSON.stringify(toWire(a.output)) === JSON.stringify(toWire(b.output));
  }
  if (!a.ok && !b.ok) {
    return a.error instanceof SimError && b.error instanceof SimError && a.error.code === b.error.code;
  }
  return false;
}

export class ConsistencyModel {
  public readonly stats = new ConsistencyStats(true);
  private readonly lag: SeededRandom;
  /** Keys created up to this sequence number are visible at once (the clock was set back). */
  private settledSeq = 0;

  constructor(
    private readonly options: ConsistencyOptions,
    private readonly store: SimStore,
    private readonly history: ChangeHistory,
  ) {
    for (const [name, value] of [['readLagMs', options.readLagMs], ['newKeyNotFoundMs', options.newKeyNotFoundMs]] as const) {
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new Error(`consistency.${name} must be a non-negative number, got ${value}`);
      }
    }
    this.lag = new SeededRandom(options.seed, 'read-lag');
    store.namedKeyCheck = (key, now) => this.checkNamedKey(key, now);
    store.onClockSetBack(() => {
      this.settledSeq = Math.max(0, ...[...store.keys.values()].map((k) => k.seq));
    });
  }

  /** The view a request of `op` reads from. */
  public viewFor(op: string, now: Date): StateView {
    if (!LAGGED_READS.has(op) && !ALIAS_RESOLVING_OPERATIONS.has(op)) {
      return this.store.live;
    }
    const lag = this.options.exact ? this.options.readLagMs : this.lag.uniform(this.options.readLagMs);
    return lag === 0 ? this.store.live : new LaggedView(this.history.viewAt(now.getTime() - lag), this.store.live);
  }

  /** Runs a handler; a lagged read is also answered from the latest state to count staleness. */
  public async answer(op: string, handler: Handler, ctx: HandlerContext, input: Input): Promise<Output> {
    if (!(ctx.view instanceof LaggedView) || !LAGGED_READS.has(op)) {
      return handler(ctx, input);
    }
    const lagged = await outcomeOf(() => handler(ctx, input));
    const latest = await outcomeOf(() => handler({ ...ctx, view: this.store.live }, input));
    if (!sameOutcome(lagged, latest)) {
      this.stats.count('staleReads', op);
    }
    if (!lagged.ok) {
      throw lagged.error;
    }
    return lagged.output;
  }

  /** Counts the stale answers of a finished request (`error`: what it failed with, if it did). */
  public noteOutcome(op: string, view: StateView, error: unknown): void {
    if (error instanceof NewKeyNotFound) {
      this.stats.count('newKeyNotFound', op);
    } else if (view instanceof LaggedView && view.staleAlias && ALIAS_RESOLVING_OPERATIONS.has(op)) {
      this.stats.count('staleAliasResolutions', op);
    }
  }

  /** When a key becomes findable by key id or key ARN. */
  public visibleFrom(key: KeyRecord): Date {
    if (key.seq <= this.settledSeq) {
      return new Date(-8.64e15);
    }
    const delay = (this.options.exact ? 1 : hashToUnit(this.options.seed, 'new-key', key.seq)) * this.options.newKeyNotFoundMs;
    return new Date(key.creationDate.getTime() + delay);
  }

  private checkNamedKey(key: KeyRecord, now: Date): void {
    if (now.getTime() < this.visibleFrom(key).getTime()) {
      throw new NewKeyNotFound(key);
    }
  }
}
