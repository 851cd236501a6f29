/**
 * The versions of one entity (a key or an alias) over simulated time. A version whose value
 * is undefined means the entity did not exist from then on (deleted).
 */

export interface Version<T> {
  /** Simulated time (epoch ms) from which this version holds. */
  readonly at: number;
  readonly value: T | undefined;
  /** Identifies the observable content, so unchanged re-recordings add no version. */
  readonly fingerprint: string;
}

export class Timeline<T> {
  private versions: Array<Version<T>> = [];

  /**
   * Appends a version unless it equals the latest one. Times never go backwards within a
   * timeline: a version recorded earlier than the latest is stamped with the latest's time.
   * Returns whether a version was added.
   */
  public record(at: number, value: T | undefined, fingerprint: string): boolean {
    const latest = this.latest();
    if (latest && latest.fingerprint === fingerprint) {
      return false;
    }
    this.versions.push({ at: latest ? Math.max(at, latest.at) : at, value, fingerprint });
    return true;
  }

  public latest(): Version<T> | undefined {
    return this.versions[this.versions.length - 1];
  }

  public first(): Version<T> | undefined {
    return this.versions[0];
  }

  /** The version in force at time `t` (the last one recorded at or before `t`). */
  public versionAt(t: number): Version<T> | undefined {
    for (let i = this.versions.length - 1; i >= 0; i--) {
      if (this.versions[i].at <= t) {
        return this.versions[i];
      }
    }
    return undefined;
  }

  public valueAt(t: number): T | undefined {
    return this.versionAt(t)?.value;
  }

  /** Forgets every version but the latest, which then holds since the beginning of time. */
  public settle(): void {
    const latest = this.latest();
    this.versions = latest ? [{ ...latest, at: -Infinity }] : [];
  }
}
