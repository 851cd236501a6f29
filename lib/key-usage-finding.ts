/**
 * Ids of what the key-usage checks report at synth time about resources that
 * use a `RotatingImportedKey` (the checks run on every app with a key group).
 *
 * Acknowledge one where you have decided it does not apply, on the resource it
 * names or any scope above it, with the reason:
 * `Validations.of(construct).acknowledge({ id: KeyUsageFinding.RESOLVED_ONCE, reason: '...' })`.
 * This works for the errors too (aws-cdk-lib cannot acknowledge errors; the
 * checks read the acknowledgement before they report one).
 */
export class KeyUsageFinding {
  /**
   * Warning: a service that resolves the alias once (DynamoDB, EBS, RDS, EFS,
   * CloudTrail, ...) stays on the generation that was current when the
   * resource was created or updated.
   */
  public static readonly RESOLVED_ONCE = 'cdk-rotating-imported-key:resolvedOnce';

  /**
   * Error: a service that needs a key ARN (CloudWatch Logs, Lambda, EventBridge
   * Scheduler, AWS Backup) is given the key group: use a conventional
   * `kms.Key` for it.
   */
  public static readonly KEY_ARN_REQUIRED = 'cdk-rotating-imported-key:keyArnRequired';

  /**
   * Error: an encryption setting names one generation (`currentKeyArn`,
   * `currentKeyId`), which the next rotation retires and fences.
   */
  public static readonly PINNED_GENERATION = 'cdk-rotating-imported-key:pinnedGeneration';

  /**
   * Warning: a resource type this library has no record of uses the key group
   * in a key setting; check after the first rotation that it follows the alias.
   */
  public static readonly UNKNOWN_SERVICE = 'cdk-rotating-imported-key:unknownService';

  /**
   * Warning: an IAM policy allows KMS key operations on the alias ARN, which
   * authorizes nothing (constructs that grant through `KeyGrants.fromKey`
   * instead of the key's own grant methods write such statements).
   */
  public static readonly GRANT_ON_ALIAS_ARN = 'cdk-rotating-imported-key:grantOnAliasArn';

  /**
   * Warning: a resource property outside the key settings (an environment
   * variable, an IAM statement, ...) holds `currentKeyArn` or `currentKeyId`,
   * a deploy-time value that names a retired generation after the next
   * rotation.
   */
  public static readonly DEPLOY_TIME_VALUE = 'cdk-rotating-imported-key:deployTimeValue';

  /**
   * Error: two key groups in stacks of one app use the same alias in one
   * account and Region.
   */
  public static readonly DUPLICATE_ALIAS = 'cdk-rotating-imported-key:duplicateAlias';

  private constructor() {}
}
