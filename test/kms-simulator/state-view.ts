/**
 * A read-only view of the keys and aliases: either the latest state (writes and, by
 * default, every read) or the state as of an earlier simulated time (lagged reads in the
 * eventual consistency mode).
 */
import type { AliasRecord, KeyRecord } from './model';

export interface StateView {
  /** The key with this key id, if it exists in this view. */
  key(id: string): KeyRecord | undefined;
  alias(name: string): AliasRecord | undefined;
  /** Existing keys in creation order. */
  keys(): KeyRecord[];
  /** Existing aliases sorted by name. */
  aliases(): AliasRecord[];
}

export function byName(a: AliasRecord, b: AliasRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The latest state, straight from the store's maps. */
export class LiveView implements StateView {
  constructor(
    private readonly keyMap: ReadonlyMap<string, KeyRecord>,
    private readonly aliasMap: ReadonlyMap<string, AliasRecord>,
  ) {}

  public key(id: string): KeyRecord | undefined {
    return this.keyMap.get(id);
  }

  public alias(name: string): AliasRecord | undefined {
    return this.aliasMap.get(name);
  }

  public keys(): KeyRecord[] {
    return [...this.keyMap.values()].sort((a, b) => a.seq - b.seq);
  }

  public aliases(): AliasRecord[] {
    return [...this.aliasMap.values()].sort(byName);
  }
}
