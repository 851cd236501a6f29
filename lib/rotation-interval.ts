import { Token } from 'aws-cdk-lib';

/**
 * How often a key group gets a new generation.
 *
 * The rotation function runs every 10 minutes and starts a rotation only when
 * the current generation is due (activated + N calendar months), so any whole
 * number of months works, including ones cron cannot express (every 5 months).
 */
export class RotationInterval {
  /**
   * The smallest interval, in months.
   */
  public static readonly MIN_MONTHS = 1;

  /**
   * The largest interval, in months (10 years).
   */
  public static readonly MAX_MONTHS = 120;

  /**
   * Rotate every `count` calendar months.
   *
   * 31 January + 1 month is the last day of February.
   *
   * @param count a whole number of months, 1 to 120
   */
  public static months(count: number): RotationInterval {
    if (!Token.isUnresolved(count)) {
      if (!Number.isInteger(count) || count < RotationInterval.MIN_MONTHS || count > RotationInterval.MAX_MONTHS) {
        throw new Error(
          `rotationInterval: RotationInterval.months() takes a whole number of months from ${RotationInterval.MIN_MONTHS} to ${RotationInterval.MAX_MONTHS}; received ${count}`,
        );
      }
    }
    return new RotationInterval(count);
  }

  /**
   * Rotate every `count` years (12 calendar months each).
   *
   * @param count a whole number of years, 1 to 10
   */
  public static years(count: number): RotationInterval {
    const maxYears = RotationInterval.MAX_MONTHS / 12;
    if (Token.isUnresolved(count) || !Number.isInteger(count) || count < 1 || count > maxYears) {
      throw new Error(
        `rotationInterval: RotationInterval.years() takes a literal whole number of years from 1 to ${maxYears} (use RotationInterval.months() for a token); received ${count}`,
      );
    }
    return new RotationInterval(count * 12);
  }

  private constructor(private readonly monthCount: number) {}

  /**
   * The interval as a number of calendar months.
   */
  public toMonths(): number {
    return this.monthCount;
  }
}
