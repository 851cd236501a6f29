/**
 * Monthly KMS key cost of one key group over time (pure: no I/O).
 *
 * Pricing (kms-facts §6, https://aws.amazon.com/kms/pricing/): $1/month per
 * key, prorated hourly; keys pending deletion cost nothing. A key rotated in
 * place (automatic or on-demand rotation) costs $1/month more for each of its
 * first two rotations, and nothing more after the second.
 *
 * A key group makes a new key (generation) every interval and keeps the old
 * ones enabled for decryption, so it pays $1/month for every generation it
 * still holds. Request charges are not modelled (a rotation is a handful of
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

/** How many of a group's generations are still billed while the stack exists. */
export interface RetentionPolicy {
  readonly name: string;
  readonly description: string;
  keptGenerations(generations: number): number;
}

/**
 * The construct's removal policies. Both keep every generation while the
 * stack lives: RETAIN keeps them after the stack too; DESTROY schedules them
 * for deletion only when the key group leaves the stack.
 */
export const RETENTION_POLICIES: readonly RetentionPolicy[] = [
  { name: 'RETAIN', description: 'every generation kept', keptGenerations: (g) => g },
  { name: 'DESTROY', description: 'deleted only with the stack', keptGenerations: (g) => g },
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
  return policy.keptGenerations(generationsAfter(12 * years, intervalMonths)) * KEY_MONTHLY_USD;
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
