/**
 * The metrics a rotation run publishes for its key group (see README,
 * "Metrics"): what they are called and how they are computed from the
 * group's ledger record. Pure; the entry point emits them.
 */
import { currentGeneration, GroupRecord, liveGenerations } from './ledger-model';
import { expiringGenerations } from './reimport';
import { effectiveDueAt } from './schedule-window';

/** The CloudWatch namespace of every metric. */
export const METRIC_NAMESPACE = 'RotatingImportedKey';
/** The only dimension: the group id (stable across alias renames). */
export const GROUP_DIMENSION = 'KeyGroup';

export const METRIC = {
  /** 1 when this run completed a rotation (the previous generation was fenced and recorded), else 0. */
  rotationSucceeded: 'RotationSucceeded',
  /** 1 when this run failed (it threw, it completed a rotation but could not put its event, or a re-import failed), else 0. */
  rotationFailed: 'RotationFailed',
  /** ERROR lines `tampering detected` this run wrote. */
  tamperingDetected: 'TamperingDetected',
  /** 1 when this run refused an emergency rotation (the abuse limit: one queued at most, `maxEmergencyRotationsPerDay`), else 0. */
  emergencyRotationRefused: 'EmergencyRotationRefused',
  /** Days since the alias moved to the current generation. */
  daysSinceActivation: 'DaysSinceActivation',
  /** Days until the current generation is due (negative: overdue). */
  daysUntilDue: 'DaysUntilDue',
  /** Days until the earliest material expiry among the generations the group keeps enabled (negative: expired, not yet re-imported). */
  daysUntilMaterialExpiry: 'DaysUntilMaterialExpiry',
  /** Keys the group keeps (current, retired, pending): not discarded, not pending deletion. */
  retainedGenerations: 'RetainedGenerations',
} as const;

export type MetricName = typeof METRIC[keyof typeof METRIC];

export interface MetricPoint {
  readonly name: MetricName;
  readonly unit: 'Count' | 'None';
  readonly value: number;
}

/** What the run did, as the counts see it. */
export interface RunCounts {
  readonly completedRotation: boolean;
  readonly failed: boolean;
  readonly tamperingReports: number;
  readonly emergencyRefused: boolean;
}

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** Days from `from` to `to`, to the thousandth (about 1.4 minutes). */
function daysBetween(from: Date, to: Date): number {
  return Math.round(((to.getTime() - from.getTime()) / MS_PER_DAY) * 1000) / 1000;
}

/** The counts every run emits (zeros included, so the alarms always have data while the function runs). */
export function countPoints(c: RunCounts): MetricPoint[] {
  return [
    { name: METRIC.rotationSucceeded, unit: 'Count', value: c.completedRotation ? 1 : 0 },
    { name: METRIC.rotationFailed, unit: 'Count', value: c.failed ? 1 : 0 },
    { name: METRIC.tamperingDetected, unit: 'Count', value: c.tamperingReports },
    { name: METRIC.emergencyRotationRefused, unit: 'Count', value: c.emergencyRefused ? 1 : 0 },
  ];
}

/**
 * The gauges of a group as its ledger record stands after the run. The due
 * date is the one the function acts on: the ledger's, bounded by the current
 * key's KMS creation date (recorded in the ledger) plus the interval and a day.
 */
export function gaugePoints(rec: GroupRecord, now: Date): MetricPoint[] {
  const points: MetricPoint[] = [];
  const current = currentGeneration(rec);
  if (current?.activatedAt) {
    points.push({ name: METRIC.daysSinceActivation, unit: 'None', value: daysBetween(new Date(current.activatedAt), now) });
  }
  if (current && rec.nextDueAt) {
    const due = effectiveDueAt(new Date(rec.nextDueAt), new Date(current.kmsCreationDate), rec.settings.intervalMonths);
    points.push({ name: METRIC.daysUntilDue, unit: 'None', value: daysBetween(now, due) });
  }
  const expiry = earliestMaterialExpiry(rec);
  if (expiry) {
    points.push({ name: METRIC.daysUntilMaterialExpiry, unit: 'None', value: daysBetween(now, expiry) });
  }
  points.push({ name: METRIC.retainedGenerations, unit: 'Count', value: liveGenerations(rec).length });
  return points;
}

/**
 * The earliest expiry of the material the group keeps (disabled and deleted
 * generations aside). Material that already expired stays in, as a negative
 * number of days: its generation cannot decrypt until the material is
 * imported again, so the alarm must not clear.
 */
export function earliestMaterialExpiry(rec: GroupRecord): Date | undefined {
  const expiries = expiringGenerations(rec).map((g) => Date.parse(g.materialValidTo!));
  return expiries.length > 0 ? new Date(Math.min(...expiries)) : undefined;
}
