/**
 * A run's hold on one key group: the group's lock, taken with a conditional
 * write, and every later change of the ledger entry made under it.
 */
import { Deps, LIFECYCLE_LEASE_MS, ROTATION_LEASE_MS } from './context';
import { InconsistentGroupError } from './errors';
import { Ledger, LedgerConflictError } from './ledger';
import { GroupRecord, isLocked } from './ledger-model';

/** How often a run waiting for another run's lock reads the ledger again. */
const LOCK_POLL_MS = 2000;

/** The longest lease any run takes. */
const MAX_LEASE_MS = Math.max(LIFECYCLE_LEASE_MS, ROTATION_LEASE_MS);

/** A lease ends at most this long after the function's deadline: Lambda has stopped the run by then (clock skew aside). */
export const LEASE_MARGIN_MS = 60_000;

/**
 * The longest a run works between two chances to renew its lease (a save, or a wait): one call with the SDK's
 * retries, or a material provider's answer. A wait renews a lease that would end sooner than this after it.
 */
export const RENEW_AHEAD_MS = 3 * 60_000;

/** How long a lock taken or renewed now holds: the run's lease, and never past its own deadline plus the margin. */
export function leaseMsOf(d: Pick<Deps, 'leaseMs' | 'remainingMs'>): number {
  return Math.max(0, Math.min(d.leaseMs, d.remainingMs() + LEASE_MARGIN_MS));
}

export class GroupBusyError extends Error {
  /** When the lock's lease ends: the earliest the change can be retried (later if its run is alive and renews it). */
  readonly retryAfter: string;

  constructor(groupId: string, purpose: string, until: string) {
    super(`key group ${groupId} is being changed by another run (${purpose}); its lock holds until ${until}: `
      + `retry at ${until} or later (a run that died holds it no longer; a live run renews it while it works)`);
    this.name = 'GroupBusyError';
    this.retryAfter = until;
  }
}

export class Session {
  /**
   * Takes the group's lock. With `waitMs`, waits that long at most for a live
   * lock to be released; then (or at once) throws GroupBusyError. `check` sees
   * each entry read before the lock write.
   */
  static async open(d: Deps, groupId: string, purpose: string, waitMs = 0, check?: (rec: GroupRecord) => Promise<void>): Promise<Session> {
    const started = d.now().getTime();
    for (;;) {
      const rec = await d.ledger.get(groupId);
      if (!rec) throw new InconsistentGroupError(`key group ${groupId} has no ledger entry`);
      // Before the lock is written (which seals the entry): the caller's own check of what it read.
      await check?.(rec);
      const now = d.now();
      const overlong = rec.lock !== undefined && Date.parse(rec.lock.until) - now.getTime() > Math.max(MAX_LEASE_MS, d.leaseMs);
      if (isLocked(rec, now, d.runId) && !overlong) {
        if (now.getTime() - started + LOCK_POLL_MS > waitMs) throw new GroupBusyError(groupId, rec.lock!.purpose, rec.lock!.until);
        await d.sleep(LOCK_POLL_MS);
        continue;
      }
      if (overlong) {
        // No run of ours takes a lease this long: the lock was not written by a run, and holds nobody out.
        d.log.error('tampering detected: the group\'s lock is longer than any lease; taking it over', {
          group: groupId, owner: rec.lock!.owner, purpose: rec.lock!.purpose, until: rec.lock!.until, tampering: 'lock',
        });
      } else if (rec.lock && rec.lock.owner !== d.runId) {
        d.log.warn('taking over the lock of a run that did not finish', { group: groupId, previousOwner: rec.lock.owner, purpose: rec.lock.purpose, until: rec.lock.until });
      }
      try {
        const lock = { owner: d.runId, purpose, until: new Date(now.getTime() + leaseMsOf(d)).toISOString() };
        const locked = await d.ledger.write({ ...rec, lock }, rec, now, { runId: d.runId });
        return new Session(d, locked);
      } catch (e) {
        if (!(e instanceof LedgerConflictError)) throw e;
      }
    }
  }

  /** A session over a record this run just created with its lock. */
  static adopt(d: Deps, rec: GroupRecord): Session {
    return new Session(d, rec);
  }

  private constructor(private readonly d: Deps, private current: GroupRecord) {}

  get record(): GroupRecord {
    return this.current;
  }

  get ledger(): Ledger {
    return this.d.ledger;
  }

  /**
   * Records a change. Only lock-free requests (an emergency asked for meanwhile)
   * can write the entry while we hold the lock: the change is then applied
   * again on top of them. If the lock itself was taken over, this run's lease
   * passed and it must stop.
   */
  async save(change: (r: GroupRecord) => GroupRecord): Promise<GroupRecord> {
    for (;;) {
      try {
        const now = this.d.now();
        this.current = await this.d.ledger.write(this.renewed(change(this.current), now), this.current, now, { runId: this.d.runId });
        return this.current;
      } catch (e) {
        if (!(e instanceof LedgerConflictError)) throw e;
        const fresh = await this.d.ledger.get(this.current.groupId);
        if (!fresh || fresh.lock?.owner !== this.d.runId) {
          throw new InconsistentGroupError(`this run's lock on key group ${this.current.groupId} was taken over (its lease passed); stopping`);
        }
        this.current = fresh;
      }
    }
  }

  /**
   * The run's dependencies with a wait that first renews the lock when its lease would end less than
   * RENEW_AHEAD_MS after the wait: a run that works (or waits for a quota) longer than one lease keeps its lock,
   * and one that died loses it within a lease.
   */
  renewing(d: Deps): Deps {
    return {
      ...d,
      sleep: async (ms) => {
        const until = this.current.lock?.owner === d.runId ? Date.parse(this.current.lock.until) : undefined;
        if (until !== undefined && until - d.now().getTime() < ms + RENEW_AHEAD_MS) await this.save((r) => r);
        await d.sleep(ms);
      },
    };
  }

  /** Every write of the entry that keeps this run's lock extends its lease (never shortens it). */
  private renewed(rec: GroupRecord, now: Date): GroupRecord {
    if (rec.lock?.owner !== this.d.runId) return rec;
    const until = new Date(Math.max(Date.parse(rec.lock.until), now.getTime() + leaseMsOf(this.d))).toISOString();
    return { ...rec, lock: { ...rec.lock, until } };
  }

  async close(): Promise<void> {
    await this.save((r) => {
      const { lock: _lock, ...rest } = r;
      return rest as GroupRecord;
    });
  }
}
