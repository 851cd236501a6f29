/**
 * What a rotation run should do next, from the ledger alone. Pure.
 */
import { GroupRecord, Phase, RotationReason } from './ledger-model';
import { mayStartScheduled } from './schedule-window';

export type Work =
  | { readonly kind: 'phase'; readonly phase: Phase }
  | { readonly kind: 'wait'; readonly phase: Phase; readonly until: Date }
  | { readonly kind: 'start'; readonly reason: RotationReason }
  | { readonly kind: 'idle' };

/**
 * `dueAt` is the due date the run acts on (the ledger's, bounded by KMS's
 * creation date of the current key). `force`: an emergency rotation was asked for.
 */
export function nextWork(rec: GroupRecord, now: Date, dueAt: Date | undefined, force: boolean): Work {
  const r = rec.rotation;
  if (r) {
    if (r.notBefore !== undefined && Date.parse(r.notBefore) > now.getTime()) {
      return { kind: 'wait', phase: r.phase, until: new Date(r.notBefore) };
    }
    return { kind: 'phase', phase: r.phase };
  }
  if (force) return { kind: 'start', reason: 'emergency' };
  if (dueAt && mayStartScheduled(now, dueAt, rec.settings.scheduleHour, rec.settings.scheduleTimeZone)) {
    return { kind: 'start', reason: 'scheduled' };
  }
  return { kind: 'idle' };
}

/** When the propagation window after `from` ends. */
export function afterWindow(rec: GroupRecord, from: Date | string): string {
  const t = typeof from === 'string' ? Date.parse(from) : from.getTime();
  return new Date(t + rec.settings.propagationSeconds * 1000).toISOString();
}
