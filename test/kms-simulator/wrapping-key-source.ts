/**
 * Which RSA wrapping key pair a GetParametersForImport call gets.
 *
 * Like KMS, every call gets a key pair of its own: pairs come round-robin from a pool of
 * pre-generated pairs, skipping every pair already handed out for the same KMS key, so two
 * import tokens of one key never share a pair (material wrapped under the public key of one
 * call does not import with the token of another). When a key has used up the pool, further
 * pairs are generated for it.
 */
import type { WrappingKeySpec } from './model';
import { generateWrappingKeyPair, WrappingKeyPair } from './wrapping';
import { wrappingKeyPool } from './wrapping-key-pool';

export interface WrappingKeySource {
  pairFor(spec: WrappingKeySpec, keyId: string): Promise<WrappingKeyPair>;
}

/** A freshly generated pair for every call (slow: RSA-4096 takes seconds). */
export class FreshWrappingKeys implements WrappingKeySource {
  public pairFor(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
    return generateWrappingKeyPair(spec);
  }
}

export class PooledWrappingKeys implements WrappingKeySource {
  private readonly cursors = new Map<WrappingKeySpec, number>();
  /** Pool indices handed out per `<spec> <keyId>`. */
  private readonly issued = new Map<string, Set<number>>();

  constructor(
    private readonly poolSize: number,
    private readonly cacheDir: string | undefined,
  ) {
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new Error(`wrappingKeyPoolSize must be a positive integer, got ${poolSize}`);
    }
  }

  public pairFor(spec: WrappingKeySpec, keyId: string): Promise<WrappingKeyPair> {
    const pool = wrappingKeyPool(spec, this.cacheDir);
    pool.ensure(this.poolSize);
    const issuedKey = `${spec} ${keyId}`;
    const issued = this.issued.get(issuedKey) ?? new Set<number>();
    this.issued.set(issuedKey, issued);
    const start = this.cursors.get(spec) ?? 0;
    let index = -1;
    for (let i = 0; i < this.poolSize && index < 0; i++) {
      const candidate = (start + i) % this.poolSize;
      if (!issued.has(candidate)) {
        index = candidate;
      }
    }
    if (index >= 0) {
      this.cursors.set(spec, (index + 1) % this.poolSize);
    } else {
      index = this.poolSize;
      while (issued.has(index)) {
        index += 1;
      }
      pool.ensure(index + 1);
    }
    issued.add(index);
    return pool.get(index);
  }
}
