/**
 * When EventBridge Scheduler fires a key group's schedule: the synthesized
 * expression is `cron(<m>/10 * * * ? *)`, every 10 minutes from minute `m`
 * of every hour. Only time zones whose offset from UTC is a whole multiple of
 * 10 minutes are supported (every hour starts at the same UTC minute then).
 */
import { ScheduleSummary } from '../test/construct/synthesized-policies';

export const SCHEDULE_PERIOD_MS = 10 * 60_000;

export class ScheduleTicks {
  static of(schedule: ScheduleSummary): ScheduleTicks {
    const match = /^cron\((\d)\/10 \* \* \* \? \*\)$/.exec(schedule.expression);
    if (!match) throw new Error(`the demo fires only schedules of the form cron(<m>/10 * * * ? *), not ${schedule.expression}`);
    const offsetMinutes = timeZoneOffsetMinutes(schedule.timeZone ?? 'Etc/UTC');
    if (offsetMinutes % 10 !== 0) throw new Error(`the demo fires only schedules in time zones whose UTC offset is a multiple of 10 minutes, not ${schedule.timeZone}`);
    return new ScheduleTicks(Number(match[1]));
  }

  private constructor(readonly minuteOffset: number) {}

  /** The first firing at or after `t`. */
  atOrAfter(t: Date): Date {
    const offsetMs = this.minuteOffset * 60_000;
    const n = Math.ceil((t.getTime() - offsetMs) / SCHEDULE_PERIOD_MS);
    return new Date(n * SCHEDULE_PERIOD_MS + offsetMs);
  }

  /** The first firing after `t`. */
  after(t: Date): Date {
    return this.atOrAfter(new Date(t.getTime() + 1));
  }
}

function timeZoneOffsetMinutes(timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date());
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}
