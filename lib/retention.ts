import { Duration, Token } from 'aws-cdk-lib';

/**
 * Options of `Retention.deleteAfter()`.
 */
export interface RetentionDeleteOptions {
  /**
   * Waiting period of the deletion KMS schedules, 7 to 30 whole days: the
   * key can still be recovered (CancelKeyDeletion) during it.
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;

  /**
   * How long a retired generation must have gone unused (no decryption that
   * KMS's GetKeyLastUsage reports) before it is disabled, and then how long
   * it stays disabled before its deletion is scheduled, 7 to 365 whole days.
   *
   * @default Duration.days(30)
   */
  readonly quietPeriod?: Duration;
}

/**
 * What happens to retired generations (every generation the alias moved
 * away from). Each costs $1 per month while it exists, enabled or disabled;
 * a key pending deletion costs nothing.
 *
 * The current generation and the previous one (the newest retired) are never
 * disabled or deleted. A generation an operator enabled again with
 * `enable-generation` is exempt from retention.
 */
export class Retention {
  /** Fewest retired generations `keepLatest()` keeps enabled. */
  public static readonly MIN_KEEP = 1;
  /** Most retired generations `keepLatest()` can keep enabled. */
  public static readonly MAX_KEEP = 100;
  /** Shortest time `deleteAfter()` accepts, in days. */
  public static readonly MIN_DELETE_AFTER_DAYS = 30;
  /** Longest time `deleteAfter()` accepts, in days (10 years). */
  public static readonly MAX_DELETE_AFTER_DAYS = 3650;
  /** Shortest quiet period, in days. */
  public static readonly MIN_QUIET_DAYS = 7;
  /** Longest quiet period, in days. */
  public static readonly MAX_QUIET_DAYS = 365;

  /**
   * Every retired generation stays enabled, decrypt-only, for ever (the
   * behaviour before retention policies existed).
   */
  public static keepAll(): Retention {
    return new Retention({ policy: 'keep-all' }, []);
  }

  /**
   * The newest `count` retired generations stay enabled (decrypt-only);
   * older retired ones are disabled (kms:DisableKey, never deleted). Data
   * under a disabled generation cannot be decrypted until an operator runs
   * `enable-generation`. Disabled keys are billed like enabled ones: this
   * narrows what can still decrypt, it does not lower the cost.
   *
   * @param count a whole number of retired generations, 1 to 100
   */
  public static keepLatest(count: number): Retention {
    if (Token.isUnresolved(count) || !Number.isInteger(count) || count < Retention.MIN_KEEP || count > Retention.MAX_KEEP) {
      throw new Error(`retention: Retention.keepLatest() takes a literal whole number of retired generations from ${Retention.MIN_KEEP} to ${Retention.MAX_KEEP}; received ${count}`);
    }
    return new Retention({ policy: 'keep-latest', count }, ['kms:DisableKey']);
  }

  /**
   * A retired generation is disabled once it has been retired longer than
   * `after` and KMS reports no use of it within the quiet period; if it is
   * still unused after staying disabled for the quiet period, its deletion
   * is scheduled with `pendingWindow`. Deleted generations cannot decrypt
   * anything ever again: choose `after` longer than the data encrypted under
   * a generation must stay readable.
   *
   * @param after how long a generation stays retired before retention considers it, 30 to 3650 whole days
   */
  public static deleteAfter(after: Duration, options: RetentionDeleteOptions = {}): Retention {
    const pendingWindow = options.pendingWindow ?? Duration.days(30);
    const quietPeriod = options.quietPeriod ?? Duration.days(30);
    const problems = [
      ...wholeDays('retention: Retention.deleteAfter() after', after, Retention.MIN_DELETE_AFTER_DAYS, Retention.MAX_DELETE_AFTER_DAYS),
      ...wholeDays('retention: Retention.deleteAfter() pendingWindow', pendingWindow, 7, 30),
      ...wholeDays('retention: Retention.deleteAfter() quietPeriod', quietPeriod, Retention.MIN_QUIET_DAYS, Retention.MAX_QUIET_DAYS),
    ];
    if (problems.length > 0) throw new Error(problems.join('; '));
    return new Retention({
      policy: 'delete-after',
      afterDays: after.toDays(),
      quietDays: quietPeriod.toDays(),
      pendingWindowDays: pendingWindow.toDays(),
    }, ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:GetKeyLastUsage']);
  }

  private constructor(private readonly settings: Record<string, string | number>, private readonly actions: string[]) {}

  /**
   * The custom resource property (read by the functions' settings parser);
   * none for keepAll, so templates of stacks that do not set the prop stay as they were.
   * @internal
   */
  public _property(): string | undefined {
    return this.settings.policy === 'keep-all' ? undefined : JSON.stringify(this.settings);
  }

  /**
   * The KMS actions the rotation function needs on retired generations.
   * @internal
   */
  public _actions(): string[] {
    return [...this.actions];
  }

  /**
   * The pending window of the deletions it schedules, in days (delete-after only).
   * @internal
   */
  public _pendingWindowDays(): number | undefined {
    const days = this.settings.pendingWindowDays;
    return typeof days === 'number' ? days : undefined;
  }
}

function wholeDays(what: string, d: Duration, min: number, max: number): string[] {
  if (d.isUnresolved()) return [`${what} must be a literal duration`];
  const days = d.toHours({ integral: false }) / 24;
  if (!Number.isInteger(days) || days < min || days > max) return [`${what} must be whole days from ${min} to ${max}; received ${d.toHumanString()}`];
  return [];
}
