/**
 * The abuse limit on emergency rotations (`rotate-now`, which operators below
 * deploy level may ask for): one at a time with at most one more queued, and
 * no more than the group's `emergencyRotationsPerDay` started in any 24 hours
 * (a rolling window on the function's clock). The starts are recorded in the
 * group's ledger record, pruned to the window, so the count is bounded and
 * survives cold starts. Scheduled rotations are never limited. Pure.
 */
import { GroupRecord } from './ledger-model';
import { emergencyRotationsPerDayOf } from './settings';

export const EMERGENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** `already-queued`: one emergency rotation waits for its turn already. `rate-limited`: the group's daily limit is spent. */
export type EmergencyRefusalReason = 'already-queued' | 'rate-limited';

export interface EmergencyRefusal {
  readonly reason: EmergencyRefusalReason;
  /** A sentence for the operator. */
  readonly message: string;
  /** When the next emergency rotation is allowed (rate-limited only). */
  readonly nextAllowedAt?: string;
  /** The group's limit per 24 hours. */
  readonly limit: number;
}

/** The emergency rotations the group started in the 24 hours up to `now`, oldest first (later times included: they count too). */
export function recentEmergencyStarts(rec: GroupRecord, now: Date): number[] {
  const from = now.getTime() - EMERGENCY_WINDOW_MS;
  const starts = Array.isArray(rec.emergencyStarts) ? rec.emergencyStarts : [];
  return starts
    .map((t) => (typeof t === 'string' ? Date.parse(t) : NaN))
    .filter((t) => Number.isFinite(t) && t > from)
    .sort((a, b) => a - b);
}

/** The record's start times with one more emergency start, pruned to the window. */
export function withEmergencyStart(rec: GroupRecord, now: Date, startedAt: string): string[] {
  return [...recentEmergencyStarts(rec, now).map((t) => new Date(t).toISOString()), startedAt];
}

/** Refused when starting one more would exceed the group's limit in the 24 hours up to `now`. */
export function rateLimited(rec: GroupRecord, now: Date): EmergencyRefusal | undefined {
  const limit = emergencyRotationsPerDayOf(rec.settings);
  const recent = recentEmergencyStarts(rec, now);
  if (recent.length < limit) return undefined;
  // The start that has to leave the window before the count drops below the limit.
  const nextAllowedAt = new Date(recent[recent.length - limit] + EMERGENCY_WINDOW_MS).toISOString();
  return {
    reason: 'rate-limited',
    limit,
    nextAllowedAt,
    message: `key group ${rec.groupId} started ${recent.length} emergency rotation${recent.length === 1 ? '' : 's'} in the last 24 hours, `
      + `its limit (maxEmergencyRotationsPerDay: ${limit}); the next one is allowed from ${nextAllowedAt}`,
  };
}

/** Refused when an emergency rotation is already queued behind the one under way (or behind a run that holds the group). */
export function alreadyQueued(rec: GroupRecord): EmergencyRefusal | undefined {
  const limit = emergencyRotationsPerDayOf(rec.settings);
  const r = rec.rotation;
  if (r?.followUp === 'emergency') {
    return {
      reason: 'already-queued',
      limit,
      message: `an emergency rotation of key group ${rec.groupId} is already queued: it starts once the rotation to generation ${r.n} is complete`
        + `${r.notBefore ? ` (its last phase runs at the first scheduled run after ${r.notBefore})` : ''}`,
    };
  }
  if (rec.emergencyRequestedAt !== undefined) {
    return {
      reason: 'already-queued',
      limit,
      message: `an emergency rotation of key group ${rec.groupId} is already queued (asked for at ${rec.emergencyRequestedAt}): the group's next run starts it`,
    };
  }
  return undefined;
}

/**
 * Whether an emergency request is refused, from the record before the run
 * takes the group's lock. A rotation that has not moved the alias yet is
 * joined (it makes no key for the request), so only the queue limits it; one
 * that has moved the alias would need another key after it, as would a start.
 */
export function emergencyRefusal(rec: GroupRecord, now: Date): EmergencyRefusal | undefined {
  const queued = alreadyQueued(rec);
  if (queued) return queued;
  if (rec.rotation && rec.rotation.phase !== 'fence') return undefined;
  return rateLimited(rec, now);
}
