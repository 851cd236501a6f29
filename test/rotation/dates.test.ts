import { addCalendarMonths, isDue, nextDueDate, parseTimestamp } from '../../lambda/rotation/dates';

const d = (s: string) => new Date(s);

describe('addCalendarMonths', () => {
  test.each([
    ['2026-01-31T03:00:00.000Z', 1, '2026-02-28T03:00:00.000Z'],
    ['2028-01-31T03:00:00.000Z', 1, '2028-02-29T03:00:00.000Z'],
    ['2026-03-31T00:00:00.000Z', 1, '2026-04-30T00:00:00.000Z'],
    ['2026-08-31T12:34:56.789Z', 6, '2027-02-28T12:34:56.789Z'],
    ['2026-01-15T00:00:00.000Z', 12, '2027-01-15T00:00:00.000Z'],
    ['2026-11-30T00:00:00.000Z', 3, '2027-02-28T00:00:00.000Z'],
    ['2026-01-01T00:00:00.000Z', 120, '2036-01-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', 2, '2027-02-28T23:59:59.999Z'],
  ])('%s + %i months = %s', (from, months, expected) => {
    expect(addCalendarMonths(d(from), months).toISOString()).toBe(expected);
  });

  test('refuses fractional months', () => {
    expect(() => addCalendarMonths(d('2026-01-01T00:00:00Z'), 1.5)).toThrow(/whole number/);
  });

  test('is monotonic and never skips a month, for every day of a leap year and N in 1..120', () => {
    for (let day = 0; day < 366; day += 1) {
      const from = new Date(Date.UTC(2028, 0, 1 + day));
      for (const n of [1, 2, 5, 6, 11, 12, 120]) {
        const to = addCalendarMonths(from, n);
        const monthsApart = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
        expect(monthsApart).toBe(n);
        expect(to.getUTCDate()).toBeLessThanOrEqual(from.getUTCDate());
      }
    }
  });
});

describe('due dates', () => {
  test('due exactly at activatedAt + N months, not a millisecond before', () => {
    const due = nextDueDate(d('2026-01-31T03:00:00Z'), 1);
    expect(due.toISOString()).toBe('2026-02-28T03:00:00.000Z');
    expect(isDue(due, new Date(due.getTime() - 1))).toBe(false);
    expect(isDue(due, due)).toBe(true);
  });

  test('parseTimestamp refuses what this function never writes', () => {
    expect(() => parseTimestamp(undefined, 'tag x')).toThrow('tag x is missing');
    expect(() => parseTimestamp('tomorrow', 'tag x')).toThrow(/not an ISO-8601/);
    expect(parseTimestamp('2026-02-28T03:00:00.000Z', 'tag x').getTime()).toBe(Date.UTC(2026, 1, 28, 3));
  });
});

describe('mayStartScheduled', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { mayStartScheduled, DUE_TOLERANCE_MS } = require('../../lambda/rotation/schedule-window') as typeof import('../../lambda/rotation/schedule-window');
  const due = new Date('2026-07-01T03:05:02Z');
  test('a run a few seconds before the due date counts as on time, half a period before does not', () => {
    expect(mayStartScheduled(new Date('2026-07-01T03:05:00Z'), due, 3, 'Etc/UTC')).toBe(true);
    expect(mayStartScheduled(new Date(due.getTime() - DUE_TOLERANCE_MS - 1), due, 3, 'Etc/UTC')).toBe(false);
  });
  test('outside the configured hour only once a day overdue; the hour is read in the time zone', () => {
    expect(mayStartScheduled(new Date('2026-07-01T04:05:00Z'), due, 3, 'Etc/UTC')).toBe(false);
    expect(mayStartScheduled(new Date('2026-07-02T04:05:02Z'), due, 3, 'Etc/UTC')).toBe(true);
    expect(mayStartScheduled(new Date('2026-07-01T03:05:00Z'), due, 5, 'Europe/Berlin')).toBe(true);
  });
});
