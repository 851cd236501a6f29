import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AdoptExisting } from './adopt-existing';
import { KeyMaterialSource } from './key-material-source';
import { MaterialEscrow } from './material-escrow';
import { MaterialExpiration } from './material-expiration';
import { Retention } from './retention';
import { RotationInterval } from './rotation-interval';
import { WrappingAlgorithm, WrappingKeySpec } from './wrapping';

/**
 * Properties of a `RotatingImportedKey`.
 */
export interface RotatingImportedKeyProps {
  /**
   * The alias applications use; it always points at the current generation.
   *
   * `alias/` followed by letters, digits, `/`, `_` and `-`, at most 256
   * characters. `alias/aws/` is reserved by AWS and `alias/rotation/` by the
   * generation aliases. Renaming it moves the alias to the current generation;
   * the key group stays the same.
   */
  readonly aliasName: string;

  /**
   * How often a new generation is created and the alias moved to it.
   *
   * A generation is due `N` calendar months after it became current. A due
   * rotation starts in `scheduleHour`, or at any run once it is more than a
   * day overdue.
   */
  readonly rotationInterval: RotationInterval;

  /**
   * Description of every generation.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Statements added to the key policy of every generation, beside the
   * statement that delegates to IAM (account root, `kms:*`). The key policy
   * names no function role: the functions' IAM policies alone decide what
   * they may do.
   *
   * Statements need a principal and a resource (`*` means the key itself).
   * `Sid`s must not start with `Rotation`. Statements that deny key-policy
   * changes to the account root or to a function role (lifecycle or rotation)
   * are refused, because they would lock everyone out of every generation.
   *
   * @default - no additional statements: IAM policies decide (as with `kms.Key`'s default policy)
   */
  readonly policyStatements?: iam.PolicyStatement[];

  /**
   * Tags applied to every generation.
   *
   * At most 35 (KMS allows 50 and the rotation function writes up to 15);
   * keys must not start with `rotation:` or `aws:`.
   *
   * @default - no user tags (the rotation tags are always present)
   */
  readonly tags?: { [key: string]: string };

  /**
   * Hour of the day in which a due rotation starts, 0 to 23.
   *
   * The schedule runs every 10 minutes; a run starts a due rotation only in
   * this hour (or once the rotation is more than a day overdue), and the
   * following runs promote and fence it, so a rotation ends about 20 minutes
   * (at most about 30) after it started.
   *
   * @default 3
   */
  readonly scheduleHour?: number;

  /**
   * Minute, 0 to 59, whose remainder by 10 sets when in every 10 minutes the
   * schedule runs: 0 runs at :00, :10, :20, ...; 7 (or 17, 27, ...) at :07,
   * :17, :27, ... Must be a literal number.
   *
   * @default 0
   */
  readonly scheduleMinute?: number;

  /**
   * Time zone of the schedule and of `scheduleHour`.
   *
   * @default TimeZone.ETC_UTC
   */
  readonly scheduleTimeZone?: TimeZone;

  /**
   * How many emergency rotations (`rotate-now`, which `grantRotateNow`
   * allows) the key group starts in any 24 hours, 1 to 24.
   *
   * Each emergency rotation makes a new key (about $1 a month while it is
   * kept) and adds to the group's ledger entry, so operators below deploy
   * level may start only this many in a rolling 24 hours; further requests
   * are refused (answer `refused`, metric `EmergencyRotationRefused`) and
   * told when the next one is allowed. One runs at a time, with at most one
   * more queued behind it. Scheduled rotations are never limited.
   *
   * @default 3 - a rotation, a second one after a mistaken first, and a retry
   */
  readonly maxEmergencyRotationsPerDay?: number;

  /**
   * How long authorization takes to see alias and tag changes, plus a margin,
   * 5 to 60 whole minutes.
   *
   * AWS documents up to five minutes for alias and tag changes to affect
   * authorization. A new generation is promoted (the alias moved to it) no
   * sooner than this long after it was made, and the previous generation is
   * fenced (made decrypt-only) no sooner than this long after the alias
   * moved. Longer windows make rotations take longer, at the schedule's
   * 10-minute steps.
   *
   * @default Duration.minutes(7) - five minutes documented by AWS plus two of margin for clock skew and schedule jitter
   */
  readonly propagationWindow?: Duration;

  /**
   * Algorithm that wraps new material for import.
   *
   * `RSA_AES_KEY_WRAP_SHA_256`: AWS documents it for RSA and ECC material; its
   * support for symmetric material is not confirmed by AWS.
   *
   * @default WrappingAlgorithm.RSAES_OAEP_SHA_256
   */
  readonly wrappingAlgorithm?: WrappingAlgorithm;

  /**
   * RSA key KMS hands out to wrap new material.
   *
   * @default WrappingKeySpec.RSA_4096
   */
  readonly wrappingKeySpec?: WrappingKeySpec;

  /**
   * Whether imported material expires.
   *
   * Material that expires makes its generation unusable, including for
   * decryption of old data, until the same material is imported again. So
   * expiry is accepted only with a source that can supply it again: a
   * provider function (`material: KeyMaterialSource.fromFunction()`; the
   * rotation function re-imports every enabled generation's material before
   * it expires, validity 14 to 365 days), or escrow (`escrow`; re-imported by
   * hand, and the validity must outlast the rotation interval by 30 days).
   * See "Safe expiry" in the README.
   *
   * @default MaterialExpiration.never()
   */
  readonly materialExpiration?: MaterialExpiration;

  /**
   * What happens to the generations when the key group is removed from the
   * stack (or replaced).
   *
   * `RETAIN` keeps every generation. `DESTROY` schedules every generation for
   * deletion after `pendingWindow`: data encrypted under them can then no
   * longer be decrypted. `SNAPSHOT` is not supported.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Waiting period before generations scheduled for deletion are deleted,
   * 7 to 30 whole days. Used with `RemovalPolicy.DESTROY` only.
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;

  /**
   * What happens to retired generations (every one the alias moved away
   * from): kept enabled and decrypt-only (`keepAll`), disabled beyond the
   * newest n (`keepLatest`), or disabled and then deleted once retired long
   * enough and unused (`deleteAfter`). The current and the previous
   * generation are never disabled or deleted. A change applies at the next
   * scheduled run after the stack update. See the README's Retention section.
   *
   * @default Retention.keepAll() - nothing is disabled or deleted
   */
  readonly retention?: Retention;

  /**
   * Where the key material of each new generation comes from: made inside
   * the rotation function, or wrapped by a function of yours (for example
   * one in front of an on-premises HSM) that holds the material; see
   * "Bring your own material" in the README.
   *
   * @default KeyMaterialSource.generated() - 32 random bytes made in the function
   */
  readonly material?: KeyMaterialSource;

  /**
   * Adopt the key `aliasName` already points at as generation 0 of the group,
   * instead of creating the alias.
   *
   * The alias must exist when the group is created, and point at a symmetric
   * `ENCRYPT_DECRYPT` customer managed key (origin `AWS_KMS` or `EXTERNAL`,
   * single-Region, `Enabled`) of the stack's account that no other key group
   * manages; anything else fails the deployment before any change. The key
   * gets the group's tags, generation 1 is made at once and the rotation
   * function moves the alias to it with the staged promotion (about 10 to 20
   * minutes after the deployment). The adopted key keeps its policy and
   * description (the decrypt-only fence is added to its policy only with
   * `AdoptExisting.alias({ fence: true })`) and is never disabled or deleted
   * by the library. Read only when the group is created. See "Adopting an
   * existing key" in the README.
   *
   * @default - no adoption: the alias must not exist; it is created with generation 1
   */
  readonly adopt?: AdoptExisting;

  /**
   * Escrow of each generation's generated material: wrapped to your offline
   * RSA public key and written to S3 (with its group, generation, key ARN
   * and, once imported, KMS key material id) before the import; a generation
   * is promoted only after its escrow object was read back and checked. Only
   * with `KeyMaterialSource.generated()`. See "Escrow of key material" in
   * the README and docs/escrow-recovery.md.
   *
   * @default - no escrow: the material exists only inside KMS
   */
  readonly escrow?: MaterialEscrow;

  /**
   * Stable id of the key group: in tags, IAM conditions and generation alias
   * names. `A-Z`, `a-z`, `0-9` and `-`, 1 to 64 characters.
   *
   * IMPORTANT: changing it replaces the key group: a new generation 1 under a
   * new group takes the alias over with the staged promotion (the alias stays
   * on the old group's key until the rotation function promotes the new
   * generation, a propagation window later), and the old group's keys follow
   * its `removalPolicy` when CloudFormation deletes it (with `DESTROY`, the key
   * the alias still points at is scheduled a propagation window after the
   * promotion). A rolled-back update gives the alias back to the old group.
   * The default is derived from the construct path, including the stack, so
   * moving or renaming the construct changes it: set it explicitly to keep a
   * group through refactors.
   *
   * @default - derived from the construct path: `Names.uniqueResourceName(this, { maxLength: 64, separator: '-' })`
   */
  readonly groupId?: string;

  /**
   * A conventional KMS key (`kms.Key`, or one imported by its key ARN) that
   * encrypts the log groups of the stack's functions (lifecycle, rotation and
   * custom-resource provider).
   *
   * CloudWatch Logs needs a key ARN, so it cannot be a `RotatingImportedKey`
   * or an alias. The log groups are shared by the key groups of a stack: the
   * first key group in the stack decides, and the others must pass the same
   * key or none. A key defined in the app (`kms.Key`) gets the key-policy
   * statement CloudWatch Logs needs (the `logs.<region>.amazonaws.com`
   * service, for this account's log groups); an imported key must already
   * allow it.
   *
   * @default - CloudWatch Logs encrypts the log groups with its own service-owned key
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Actions of the stack's dead-letter alarm, which fires when a scheduled
   * rotation could not be delivered or a rotation run failed (for example an
   * `SnsAction` that pages the key owners).
   *
   * The alarm is shared by the key groups of a stack: the first key group in
   * the stack decides, and the others must pass the same actions or none.
   * `key.deadLetterAlarm.addAlarmAction()` adds actions too.
   *
   * @default - no actions
   */
  readonly deadLetterAlarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Actions of every alarm of this key group: rotation failed, rotation
   * overdue, material expiring (with `materialExpiration` set to expire) and
   * tampering detected (for example an `SnsAction` that pages the key
   * owners).
   *
   * The stack's dead-letter alarm, shared by its key groups, takes
   * `deadLetterAlarmActions`. `addAlarmAction()` on each alarm adds more.
   *
   * @default - no actions
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * How long the functions' log groups (lifecycle, rotation and
   * custom-resource provider) keep their events.
   *
   * The log groups are shared by the key groups of a stack: the first key
   * group in the stack decides (its value, or the default), and the others
   * must pass the same value or none; a different one fails at synth naming
   * both.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}
