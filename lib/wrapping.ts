/**
 * The algorithm that wraps new key material for `ImportKeyMaterial`.
 *
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GetParametersForImport.html
 */
export enum WrappingAlgorithm {
  /**
   * RSA-OAEP with SHA-256. Documented by AWS for symmetric key material; the
   * safest choice.
   */
  RSAES_OAEP_SHA_256 = 'RSAES_OAEP_SHA_256',

  /**
   * RSA-OAEP with SHA-1. Only for material sources that cannot do SHA-256.
   */
  RSAES_OAEP_SHA_1 = 'RSAES_OAEP_SHA_1',

  /**
   * RSA-OAEP-SHA-256 of an ephemeral AES key, then AES key wrap with padding
   * (RFC 5649).
   *
   * AWS documents this algorithm for wrapping RSA and ECC key material; that
   * KMS accepts it for symmetric (AES-256) material is not confirmed by the
   * AWS documentation. Prefer `RSAES_OAEP_SHA_256` unless your material source
   * requires this one. Not available in the China Regions.
   */
  RSA_AES_KEY_WRAP_SHA_256 = 'RSA_AES_KEY_WRAP_SHA_256',
}

/**
 * The RSA public key KMS hands out to wrap new key material.
 */
export enum WrappingKeySpec {
  /**
   * RSA with a 4096-bit modulus (the longest, recommended by AWS).
   */
  RSA_4096 = 'RSA_4096',

  /**
   * RSA with a 3072-bit modulus.
   */
  RSA_3072 = 'RSA_3072',

  /**
   * RSA with a 2048-bit modulus.
   */
  RSA_2048 = 'RSA_2048',
}
