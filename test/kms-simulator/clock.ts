/**
 * Simulated wall clock of the KMS simulator.
 *
 * Every time value the simulator produces or checks (CreationDate, import token expiry,
 * key material ValidTo, deletion dates) comes from this clock, never from the real time.
 * Observers are notified whenever the clock is read or moved so that time-driven state
 * changes (material expiry, key deletion) are applied lazily.
 */

export const MS_PER_SECOND = 1000;
export const MS_PER_HOUR = 60 * 60 * MS_PER_SECOND;
export const MS_PER_DAY = 24 * MS_PER_HOUR;

export class SimClock {
  private current: number;
  private readonly observers: Array<(now: Date) => void> = [];
  private notifying = false;

  constructor(start: Date) {
    this.current = start.getTime();
  }

  /** Current simulated time. Applies due expiries/deletions before returning. */
  public now(): Date {
    this.notify();
    return new Date(this.current);
  }

  /** Current simulated time without notifying observers (for internal use by observers). */
  public peek(): Date {
    return new Date(this.current);
  }

  /** Moves the clock forward by `ms` milliseconds and returns the new time. */
  public advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new Error(`SimClock.advance: ms must be a non-negative finite number, got ${ms}`);
    }
    this.current += ms;
    return this.now();
  }

  /** Moves the clock forward by `n` days (fractions allowed) and returns the new time. */
  public advanceDays(n: number): Date {
    return this.advance(n * MS_PER_DAY);
  }

  /** Sets the clock to `date` (may move backwards) and returns the new time. */
  public set(date: Date): Date {
    const ms = date.getTime();
    if (!Number.isFinite(ms)) {
      throw new Error('SimClock.set: invalid date');
    }
    this.current = ms;
    return this.now();
  }

  /** Registers an observer called (re-entrancy safe) whenever the clock is read or moved. */
  public onTick(observer: (now: Date) => void): void {
    this.observers.push(observer);
  }

  private notify(): void {
    if (this.notifying) {
      return;
    }
    this.notifying = true;
    try {
      const now = new Date(this.current);
      for (const observer of this.observers) {
        observer(now);
      }
    } finally {
      this.notifying = false;
    }
  }
}
