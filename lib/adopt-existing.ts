import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * Options of `AdoptExisting.alias()`.
 */
export interface AdoptExistingOptions {
  /**
   * Whether the adopted key is made decrypt-only once the alias has moved
   * away from it: the library's fence statement (a `Deny` of `kms:Encrypt`,
   * `kms:GenerateDataKey*` and `kms:ReEncryptTo` to everyone) is added to the
   * key's existing policy, whose other statements are kept as they are.
   *
   * Off by default: other principals (another application, a service that
   * stored the key id) may still encrypt with the adopted key by its key id,
   * and the fence would deny them. Without it, the adopted key stays as it
   * is apart from the group's tags.
   *
   * @default false
   */
  readonly fence?: boolean;
}

/**
 * Adoption of a key that exists before the stack: the key the `aliasName`
 * alias points at becomes generation 0 of the key group.
 *
 * At the group's Create the lifecycle function checks the key (symmetric
 * `ENCRYPT_DECRYPT`, customer managed, origin `AWS_KMS` or `EXTERNAL`,
 * single-Region, `Enabled`, in the stack's account, not managed by another
 * key group) and refuses it before any write otherwise; it then records and
 * tags the key as generation 0 and makes generation 1, which the rotation
 * function promotes with the staged promotion (a propagation window after it
 * was made, so about 10 to 20 minutes after the deployment). The adopted key
 * is never disabled or deleted by the library (not by a retention policy, nor
 * by `RemovalPolicy.DESTROY`). See "Adopting an existing key" in the README.
 */
export class AdoptExisting {
  /**
   * Adopts the key the alias (`aliasName`) already points at.
   *
   * @param options whether the adopted key is fenced to decrypt-only once retired
   */
  public static alias(options: AdoptExistingOptions = {}): AdoptExisting {
    return new AdoptExisting(options.fence ?? false);
  }

  private constructor(
    /** Whether the adopted key gets the decrypt-only fence once retired. */
    public readonly fence: boolean,
  ) {}

  /**
   * The custom resource property read by the functions' settings parser.
   * @internal
   */
  public _property(scope: Construct): string {
    return Stack.of(scope).toJsonString({ fence: this.fence });
  }
}
