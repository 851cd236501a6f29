/**
 * Change history of the simulator state: every version of every key (state-relevant fields,
 * description, policy, tags, materials, enabled/disabled, deletion schedule) and of every
 * alias (target, existence), stamped with the simulated time of the change.
 *
 * Kept only when a mode needs the past: lagged reads (eventual consistency) and the
 * authorization view (propagation of policy, tag and alias changes).
 */
import type { AliasRecord, KeyRecord } from './model';
import { byName, StateView } from './state-view';
import { Timeline } from './timeline';

/** A frozen copy of a key as it is at this moment (material bytes are shared, not copied). */
function copyKey(key: KeyRecord): KeyRecord {
  return { ...key, tags: new Map(key.tags), materials: key.materials.map((m) => ({ ...m })) };
}

function keyFingerprint(key: KeyRecord): string {
  return JSON.stringify([
    key.description,
    key.policy,
    [...key.tags.entries()],
    key.disabled,
    key.deletionDate?.getTime(),
    key.pendingWindowInDays,
    key.onDemandRotations,
    key.materials.map((m) => [
      m.id, m.state, m.bytes !== undefined, m.expirationModel, m.validTo?.getTime(), m.description, m.rotationDate?.getTime(),
    ]),
  ]);
}

function aliasFingerprint(alias: AliasRecord): string {
  return JSON.stringify([alias.targetKeyId, alias.creationDate.getTime(), alias.lastUpdatedDate.getTime()]);
}

const GONE = 'gone';

export class ChangeHistory {
  private readonly keyTimelines = new Map<string, Timeline<KeyRecord>>();
  private readonly aliasTimelines = new Map<string, Timeline<AliasRecord>>();

  public recordKey(key: KeyRecord, at: number): void {
    this.timeline(this.keyTimelines, key.id).record(at, copyKey(key), keyFingerprint(key));
  }

  public recordKeyDeleted(id: string, at: number): void {
    this.timeline(this.keyTimelines, id).record(at, undefined, GONE);
  }

  /** Records an alias as it is now, or its deletion when `alias` is undefined. */
  public recordAlias(name: string, alias: AliasRecord | undefined, at: number): void {
    this.timeline(this.aliasTimelines, name).record(at, alias ? { ...alias } : undefined, alias ? aliasFingerprint(alias) : GONE);
  }

  public keyTimeline(id: string): Timeline<KeyRecord> | undefined {
    return this.keyTimelines.get(id);
  }

  /** Names of the aliases that pointed at `keyId` at time `t`, sorted. */
  public aliasesOfKeyAt(keyId: string, t: number): string[] {
    const names: string[] = [];
    for (const [name, timeline] of this.aliasTimelines) {
      if (timeline.valueAt(t)?.targetKeyId === keyId) {
        names.push(name);
      }
    }
    return names.sort();
  }

  /** The state as of simulated time `t`. */
  public viewAt(t: number): StateView {
    const keyTimelines = this.keyTimelines;
    const aliasTimelines = this.aliasTimelines;
    return {
      key: (id) => keyTimelines.get(id)?.valueAt(t),
      alias: (name) => aliasTimelines.get(name)?.valueAt(t),
      keys: () => present([...keyTimelines.values()].map((tl) => tl.valueAt(t))).sort((a, b) => a.seq - b.seq),
      aliases: () => present([...aliasTimelines.values()].map((tl) => tl.valueAt(t))).sort(byName),
    };
  }

  /** Forgets the past: the latest version of everything holds since the beginning of time. */
  public settle(): void {
    for (const timelines of [this.keyTimelines, this.aliasTimelines] as Array<Map<string, Timeline<unknown>>>) {
      for (const [id, timeline] of timelines) {
        timeline.settle();
        if (timeline.latest()?.value === undefined) {
          timelines.delete(id);
        }
      }
    }
  }

  private timeline<T>(map: Map<string, Timeline<T>>, id: string): Timeline<T> {
    let timeline = map.get(id);
    if (!timeline) {
      timeline = new Timeline<T>();
      map.set(id, timeline);
    }
    return timeline;
  }
}

function present<T>(values: Array<T | undefined>): T[] {
  return values.filter((v): v is T => v !== undefined);
}
