/**
 * What the group's retention policy asks of its retired generations, from the
 * ledger alone. Pure. Never the current generation, never the previous one
 * (the newest retired: data written just before the last rotation), never a
 * generation an operator exempted, never an adopted key, never while a rotation is under way.
 */
import { GenerationRecord, GroupRecord } from './ledger-model';
import { retentionOf } from './settings';

const DAY_MS = 86_400_000;

export type RetentionAction =
  /** Disable the key (keep-latest: beyond the newest n; delete-after: old enough and quiet). */
  | { readonly kind: 'disable'; readonly n: number; readonly checkUsage: boolean }
  /** Disabled for the quiet period and still unused: schedule deletion. */
  | { readonly kind: 'schedule-deletion'; readonly n: number; readonly pendingWindowDays: number };

/** Retired generations retention may act on: fenced, not exempt, not pending deletion, not the previous one. */
export function retentionCandidates(rec: GroupRecord): GenerationRecord[] {
  const retired = rec.generations.filter((g) => g.stage === 'retired').sort((a, b) => b.n - a.n);
  // An adopted key is never disabled or deleted: it was not made by this library, and others may rely on it.
  return retired.slice(1)
    .filter((g) => g.fencedAt !== undefined && g.deletionScheduledAt === undefined && g.retentionExemptAt === undefined && !g.adopted);
}

/** What is due now, oldest generation first. */
export function retentionWork(rec: GroupRecord, now: Date): RetentionAction[] {
  const policy = retentionOf(rec.settings);
  if (policy.policy === 'keep-all' || rec.rotation || rec.status !== 'active') return [];
  const t = now.getTime();
  const out: RetentionAction[] = [];
  if (policy.policy === 'keep-latest') {
    // The newest `count` retired generations stay enabled (the previous one always: count >= 1).
    const retired = rec.generations.filter((g) => g.stage === 'retired').sort((a, b) => b.n - a.n);
    const older = new Set(retired.slice(policy.count).map((g) => g.n));
    for (const g of retentionCandidates(rec)) {
      if (older.has(g.n) && g.disabledAt === undefined) out.push({ kind: 'disable', n: g.n, checkUsage: false });
    }
    return out.sort((a, b) => a.n - b.n);
  }
  const quietMs = policy.quietDays * DAY_MS;
  for (const g of retentionCandidates(rec)) {
    if (g.disabledAt === undefined) {
      const retiredLongEnough = g.retiredAt !== undefined && t - Date.parse(g.retiredAt) >= policy.afterDays * DAY_MS;
      // A use seen earlier defers the next look until the quiet period after it has passed.
      const quietSinceLastSeenUse = g.lastUsedAt === undefined || t - Date.parse(g.lastUsedAt) >= quietMs;
      if (retiredLongEnough && quietSinceLastSeenUse) out.push({ kind: 'disable', n: g.n, checkUsage: true });
    } else if (t - Date.parse(g.disabledAt) >= quietMs) {
      out.push({ kind: 'schedule-deletion', n: g.n, pendingWindowDays: policy.pendingWindowDays });
    }
  }
  return out.sort((a, b) => a.n - b.n);
}

/** Whether a use KMS reported falls within the quiet period before `now`. */
export function usedWithin(lastUsedAt: Date | undefined, now: Date, quietDays: number): boolean {
  return lastUsedAt !== undefined && now.getTime() - lastUsedAt.getTime() < quietDays * DAY_MS;
}
