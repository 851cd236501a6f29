/**
 * When a scheduled run may start a due rotation: in the group's configured
 * hour, or at any run once the rotation is a day overdue. Pure.
 */
import { addCalendarMonths } from './dates';

const DAY_MS = 86_400_000;

/** The hour (0-23) of `at` in an IANA time zone. */
export function hourIn(timeZone: string, at: Date): number {
  const hour = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' }).format(at);
  return Number(hour) % 24;
}

/**
 * A run up to half a schedule period before the due date counts as on time:
 * scheduled runs arrive a few seconds late or early, and without the
 * tolerance a rotation due at 03:05:02 would wait for the 03:15 run, and the
 * next one start a run later again.
 */
export const DUE_TOLERANCE_MS = 5 * 60 * 1000;

export function mayStartScheduled(now: Date, dueAt: Date, scheduleHour: number, timeZone: string): boolean {
  if (now.getTime() + DUE_TOLERANCE_MS < dueAt.getTime()) return false;
  return hourIn(timeZone, now) === scheduleHour || now.getTime() - dueAt.getTime() >= DAY_MS;
}

/**
 * The due date the run acts on: the ledger's, but never later than the
 * current key's KMS creation date (which nobody can change) plus the interval
 * and a day, so an edited ledger cannot postpone rotation either.
 */
export function effectiveDueAt(ledgerDueAt: Date, kmsCreationDate: Date, intervalMonths: number): Date {
  const bound = addCalendarMonths(kmsCreationDate, intervalMonths).getTime() + DAY_MS;
  return new Date(Math.min(ledgerDueAt.getTime(), bound));
}
