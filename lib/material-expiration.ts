import { Token } from 'aws-cdk-lib';

/**
 * Whether imported key material expires.
 *
 * When material expires KMS deletes it and the generation goes to
 * `PendingImport`: data encrypted under that generation cannot be decrypted
 * until the same material is imported again. Retained generations should
 * therefore use `MaterialExpiration.never()`.
 */
export class MaterialExpiration {
  /**
   * The longest validity KMS accepts for imported material, in days.
   */
  public static readonly MAX_VALIDITY_DAYS = 365;

  /**
   * The material never expires (`KEY_MATERIAL_DOES_NOT_EXPIRE`).
   */
  public static never(): MaterialExpiration {
    return new MaterialExpiration(0, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
  }

  /**
   * The material expires `days` days after it is imported
   * (`KEY_MATERIAL_EXPIRES`).
   *
   * @param days a whole number of days, 1 to 365
   */
  public static afterDays(days: number): MaterialExpiration {
    if (!Token.isUnresolved(days)) {
      if (!Number.isInteger(days) || days < 1 || days > MaterialExpiration.MAX_VALIDITY_DAYS) {
        throw new Error(
          `materialExpiration: MaterialExpiration.afterDays() takes a whole number of days from 1 to ${MaterialExpiration.MAX_VALIDITY_DAYS}; received ${days}`,
        );
      }
    }
    return new MaterialExpiration(days, 'KEY_MATERIAL_EXPIRES');
  }

  /**
   * Days the material stays valid after import; 0 means it never expires.
   */
  public readonly validityDays: number;

  /**
   * The KMS `ExpirationModel`: `KEY_MATERIAL_DOES_NOT_EXPIRE` or `KEY_MATERIAL_EXPIRES`.
   */
  public readonly expirationModel: string;

  private constructor(validityDays: number, expirationModel: string) {
    this.validityDays = validityDays;
    this.expirationModel = expirationModel;
  }

  /**
   * Whether the material expires.
   */
  public get expires(): boolean {
    return this.expirationModel === 'KEY_MATERIAL_EXPIRES';
  }
}
