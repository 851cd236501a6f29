/**
 * Monthly KMS key cost of one key group over time (pure: no I/O).
 *
 * Pricing (kms-facts §6, https://aws.amazon.com/kms/pricing/): $1/month per
 * key, prorated hourly; keys pending deletion cost nothing. A key rotated in
 * place (automatic or on-demand rotation) costs $1/month more for each of its
 * first two rotations, and nothing more after the second.
 *
 * A key group makes a new key (generation) every interval; what it pays for
 * the old ones depends on its retention policy (the `retention` prop): every
 * generation it still holds is $1/month, enabled or disabled (KMS bills
 * disabled keys too); only a generation pending deletion is free. Request
 * charges are not modelled (a rotation and retention's calls are a handful of
 * requests a month, inside the free tier).
 */

/** $ per key per month. */
export const KEY_MONTHLY_USD = 1;
/** Rotations in place that add to a key's price; later ones are free. */
export const BILLED_ROTATIONS = 2;
/** On-demand rotations KMS allows per key (not adjustable): the limit of rotating imported material in place. */
export const ON_DEMAND_ROTATIONS_PER_KEY = 25;

export const YEARS = [1, 2, 5, 10] as const;
export const INTERVALS_MONTHS = [1, 3, 6, 12] as const;

/** How many of a group's generations are still billed `months` after generation 1 became current. */
export interface RetentionPolicy {
  readonly name: string;
  readonly description: string;
  keptGenerations(months: number, intervalMonths: number): number;
}

/** Days per month in the model (365.25 / 12). */
const DAYS_PER_MONTH = 30.4375;

/**
 * `Retention.deleteAfter(afterDays, { quietPeriod: quietDays })` for a retired
 * generation nobody decrypts with: disabled `afterDays` after its retirement,
 * its deletion scheduled `quietDays` later (then free). The current and the
 * previous generation are always kept. A generation still in use stays longer.
 */
export function deleteAfterKept(months: number, intervalMonths: number, afterDays: number, quietDays: number): number {
  const generations = generationsAfter(months, intervalMonths);
  const billedMonths = (afterDays + quietDays) / DAYS_PER_MONTH;
  let kept = Math.min(generations, 2);
  // Generation k (1-based) retired at month k * interval; all but the newest two are candidates.
  for (let k = 1; k <= generations - 2; k++) {
    if (months - k * intervalMonths < billedMonths) kept++;
  }
  return kept;
}

/**
 * The `retention` policies (removal policies change nothing while the stack
 * lives: RETAIN keeps the generations after it too; DESTROY schedules them for
 * deletion when the key group leaves the stack).
 */
export const RETENTION_POLICIES: readonly RetentionPolicy[] = [
  { name: 'keepAll', description: 'default: every generation kept enabled', keptGenerations: (m, i) => generationsAfter(m, i) },
  { name: 'keepLatest(2)', description: 'older generations disabled, still billed', keptGenerations: (m, i) => generationsAfter(m, i) },
  { name: 'deleteAfter(365 days)', description: 'quiet period 30 days', keptGenerations: (m, i) => deleteAfterKept(m, i, 365, 30) },
  { name: 'deleteAfter(90 days)', description: 'quiet period 30 days', keptGenerations: (m, i) => deleteAfterKept(m, i, 90, 30) },
];

/**
 * Generations that exist `months` after generation 1 became current, with a
 * rotation every `intervalMonths` (a rotation due at that instant has run).
 */
export function generationsAfter(months: number, intervalMonths: number): number {
  if (!Number.isInteger(intervalMonths) || intervalMonths < 1) {
    throw new Error(`intervalMonths must be a whole number ≥ 1, got ${intervalMonths}`);
  }
  return 1 + Math.floor(months / intervalMonths);
}

/** Monthly key cost of a key group `years` years after it was deployed. */
export function groupMonthlyCost(years: number, intervalMonths: number, policy: RetentionPolicy): number {
  return policy.keptGenerations(12 * years, intervalMonths) * KEY_MONTHLY_USD;
}

/** The baseline: one key rotated in place as often (KMS rotation pricing, capped at the second rotation). */
export function inPlaceMonthlyCost(years: number, intervalMonths: number): number {
  const rotations = generationsAfter(12 * years, intervalMonths) - 1;
  return (1 + Math.min(rotations, BILLED_ROTATIONS)) * KEY_MONTHLY_USD;
}

/** Whether rotating imported material in place could keep up: at most 25 on-demand rotations per key. */
export function inPlacePossibleForImported(years: number, intervalMonths: number): boolean {
  return generationsAfter(12 * years, intervalMonths) - 1 <= ON_DEMAND_ROTATIONS_PER_KEY;
}

export interface CostRow {
  readonly intervalMonths: number;
  /** A retention policy's name, or 'in-place' for the baseline. */
  readonly policy: string;
  readonly description: string;
  /** $/month after each of YEARS. */
  readonly monthlyUsd: number[];
  /** Per year: false when that many in-place rotations of imported material exceed the 25 KMS allows. */
  readonly possible: boolean[];
}

export function costRows(): CostRow[] {
  const rows: CostRow[] = [];
  for (const interval of INTERVALS_MONTHS) {
    for (const policy of RETENTION_POLICIES) {
      rows.push({
        intervalMonths: interval,
        policy: policy.name,
        description: policy.description,
        monthlyUsd: YEARS.map((y) => groupMonthlyCost(y, interval, policy)),
        possible: YEARS.map(() => true),
      });
    }
    rows.push({
      intervalMonths: interval,
      policy: 'in-place',
      description: 'baseline: one key rotated in place',
      monthlyUsd: YEARS.map((y) => inPlaceMonthlyCost(y, interval)),
      possible: YEARS.map((y) => inPlacePossibleForImported(y, interval)),
    });
  }
  return rows;
}
