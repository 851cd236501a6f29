/**
 * Calendar arithmetic for due dates. Pure functions, UTC throughout.
 */

/**
 * Adds whole calendar months, clamping to the last day of the target month:
 * 31 January + 1 month = 28 (or 29) February. Time of day is kept.
 */
export function addCalendarMonths(from: Date, months: number): Date {
  if (!Number.isInteger(months)) {
    throw new Error(`months must be a whole number, got ${months}`);
  }
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = daysInMonth(targetYear, targetMonth);
  const day = Math.min(from.getUTCDate(), lastDay);
  return new Date(Date.UTC(
    targetYear, targetMonth, day,
    from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds(),
  ));
}

export function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/** Next due date of a generation activated at `activatedAt`. */
export function nextDueDate(activatedAt: Date, intervalMonths: number): Date {
  return addCalendarMonths(activatedAt, intervalMonths);
}

export function isDue(nextDueAt: Date, now: Date): boolean {
  return now.getTime() >= nextDueAt.getTime();
}

/** Parses an ISO-8601 timestamp written by this function; refuses anything else. */
export function parseTimestamp(value: string | undefined, what: string): Date {
  if (value === undefined || value === '') {
    throw new Error(`${what} is missing`);
  }
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) {
    throw new Error(`${what} is not an ISO-8601 timestamp: ${JSON.stringify(value)}`);
  }
  return new Date(t);
}

export function toTimestamp(d: Date): string {
  return d.toISOString();
}

/**
 * The ValidTo of material imported at `from` for `days` days: a few minutes
 * short, so KMS's "at most 365 days from the request" holds even with clock skew.
 */
export function materialValidToAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 86_400_000 - 5 * 60_000);
}
