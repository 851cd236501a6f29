/**
 * Which generations' expiring material is imported again, and when, from the
 * ledger alone. Pure.
 *
 * Material that expires is deleted by KMS and its generation becomes
 * unusable (PendingImport) until the same material is imported again. Only a
 * generation whose material came from a provider function can be re-imported
 * automatically: the function asks the provider for the same material again
 * (purpose "reimport") and imports it with a fresh validity. Generated
 * material (with escrow) is re-imported by hand (docs/escrow-recovery.md).
 */
import { GenerationRecord, GroupRecord, liveGenerations } from './ledger-model';
import { materialSourceOf } from './settings';

const DAY_MS = 86_400_000;

/** The expiry alarm's threshold: the most days of warning the validity allows (lib/private/group-alarms.ts computes the same). */
export function materialExpiryWarningDays(validityDays: number): number {
  return Math.max(1, Math.min(30, Math.floor(validityDays / 3)));
}

/**
 * A generation is re-imported once fewer days than this are left: twice the
 * alarm's warning, so a provider that stops answering is retried for as long
 * again before the expiry alarm fires, and the alarm still fires that long
 * before the material expires.
 */
export function reimportLeadDays(validityDays: number): number {
  return 2 * materialExpiryWarningDays(validityDays);
}

/**
 * Whether the generation's key holds material that counts: not discarded,
 * not pending deletion, not disabled by retention (KMS imports into Enabled or
 * PendingImport keys only, and a disabled generation is not in use).
 */
export function keepsMaterial(g: GenerationRecord): boolean {
  return g.importedAt !== undefined && g.disabledAt === undefined;
}

/** Generations whose material expires (or expired) and is kept: what the expiry metric and the report watch. */
export function expiringGenerations(rec: GroupRecord): GenerationRecord[] {
  return liveGenerations(rec).filter((g) => keepsMaterial(g) && g.materialValidTo !== undefined);
}

/** Whether the function can import this generation's material again by itself. */
export function reimportedAutomatically(rec: GroupRecord, g: GenerationRecord): boolean {
  return g.materialSource === 'function' && materialSourceOf(rec.settings).type === 'function';
}

/**
 * Generations an operator must re-import by hand (from escrow) whose material
 * expires within the alarm's warning days, or expired: each run asks KMS
 * whether it was re-imported, so the ledger, the gauge and the report follow.
 */
export function manualReimportWatch(rec: GroupRecord, now: Date): number[] {
  if (rec.status !== 'active') return [];
  const warningMs = materialExpiryWarningDays(rec.settings.materialValidityDays) * DAY_MS;
  return expiringGenerations(rec)
    .filter((g) => !reimportedAutomatically(rec, g) && Date.parse(g.materialValidTo!) - now.getTime() <= warningMs)
    .map((g) => g.n);
}

/**
 * The generations to re-import now, earliest expiry first: those with fewer
 * than the lead days left (expired ones included: a re-import restores them),
 * and, when the group no longer lets material expire, every one that still
 * does (re-imported without expiry).
 */
export function reimportWork(rec: GroupRecord, now: Date): number[] {
  if (rec.status !== 'active') return [];
  const validity = rec.settings.materialValidityDays;
  const leadMs = reimportLeadDays(validity) * DAY_MS;
  return expiringGenerations(rec)
    .filter((g) => reimportedAutomatically(rec, g))
    .filter((g) => validity === 0 || Date.parse(g.materialValidTo!) - now.getTime() <= leadMs)
    .sort((a, b) => Date.parse(a.materialValidTo!) - Date.parse(b.materialValidTo!))
    .map((g) => g.n);
}
