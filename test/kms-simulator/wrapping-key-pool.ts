/**
 * Process-wide pools of pre-generated RSA wrapping key pairs, one per key spec (and cache
 * directory). Pairs are loaded from the cache file when there is one; missing pairs are
 * generated asynchronously (in parallel on the libuv thread pool) and then written back.
 */
import type { WrappingKeySpec } from './model';
import { generateWrappingKeyPair, WrappingKeyPair } from './wrapping';
import { loadCachedPairs, saveCachedPairs } from './wrapping-key-cache';

export class WrappingKeyPool {
  private readonly pairs: Array<Promise<WrappingKeyPair>> = [];
  private loaded = false;

  constructor(
    private readonly spec: WrappingKeySpec,
    /** Where pairs are persisted; undefined: not persisted. */
    private readonly cacheDir: string | undefined,
  ) {}

  /** Number of pairs held (generated or being generated). */
  public get size(): number {
    return this.pairs.length;
  }

  /** Makes the pool hold at least `n` pairs; generation runs in the background. */
  public ensure(n: number): void {
    if (!this.loaded) {
      this.loaded = true;
      if (this.cacheDir !== undefined) {
        this.pairs.push(...loadCachedPairs(this.cacheDir, this.spec).map((p) => Promise.resolve(p)));
      }
    }
    if (this.pairs.length >= n) {
      return;
    }
    while (this.pairs.length < n) {
      const pair = generateWrappingKeyPair(this.spec);
      pair.catch(() => undefined); // reported to the caller of get()
      this.pairs.push(pair);
    }
    const dir = this.cacheDir;
    if (dir !== undefined) {
      Promise.all(this.pairs).then((all) => saveCachedPairs(dir, this.spec, all), () => undefined);
    }
  }

  /** The pair at `index` (call `ensure(index + 1)` first). */
  public get(index: number): Promise<WrappingKeyPair> {
    const pair = this.pairs[index];
    if (pair === undefined) {
      throw new Error(`wrapping key pool for ${this.spec} holds no pair ${index}`);
    }
    return pair;
  }
}

const pools = new Map<string, WrappingKeyPool>();

/** The process-wide pool of `spec` persisted in `cacheDir` (or not persisted). */
export function wrappingKeyPool(spec: WrappingKeySpec, cacheDir: string | undefined): WrappingKeyPool {
  const id = `${cacheDir ?? ''}\u0000${spec}`;
  let pool = pools.get(id);
  if (!pool) {
    pool = new WrappingKeyPool(spec, cacheDir);
    pools.set(id, pool);
  }
  return pool;
}
