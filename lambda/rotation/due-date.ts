/**
 * When a generation is due for rotation. Pure.
 *
 * Counted from the start of the rotation that made it, not from its promotion
 * a propagation window or two later: the next rotation then starts at the same
 * scheduled run of the configured hour each time (no drift out of the hour),
 * and a generation is never in use longer than the interval.
 */
import { addCalendarMonths } from './dates';
import { GenerationRecord } from './ledger-model';
import { GroupSettings } from './settings';

export function nextDueDate(s: Pick<GroupSettings, 'intervalMonths'>, g: Pick<GenerationRecord, 'claimedAt'>): Date {
  return addCalendarMonths(new Date(g.claimedAt), s.intervalMonths);
}
