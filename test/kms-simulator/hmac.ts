/**
 * HMAC KMS keys (key usage GENERATE_VERIFY_MAC): key specs, their MAC algorithms and the size of
 * the secret material. Facts relied on:
 *
 * - "HMAC KMS keys are symmetric keys that you use to generate and verify HMACs within AWS KMS";
 *   the algorithms conform to RFC 2104; each HMAC key spec supports exactly one MAC algorithm
 *   (HMAC_224 -> HMAC_SHA_224 ... HMAC_512 -> HMAC_SHA_512).
 *   https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html
 *   The length of a generated key's material is not documented; here it is the digest length.
 * - GenerateMac: request KeyId, Message (1..4096 bytes), MacAlgorithm, GrantTokens, DryRun;
 *   response KeyId (the key ARN), Mac, MacAlgorithm. Errors include DisabledException,
 *   InvalidKeyUsageException ("the KeyUsage ... is incompatible with the API operation" or the
 *   algorithm is incompatible with the KeySpec), KMSInvalidStateException, NotFoundException,
 *   DryRunOperationException. https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html
 * - VerifyMac: request adds Mac; response KeyId, MacValid, MacAlgorithm. "If the HMAC is not
 *   verified, the VerifyMac operation fails with a KMSInvalidMacException exception."
 *   https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html
 * - Required permissions kms:GenerateMac / kms:VerifyMac (key policy); condition key
 *   kms:MacAlgorithm. https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
 * - Both count against the shared "Cryptographic operations (symmetric) request rate".
 *   https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html
 */
import type { HmacKeySpec, KeySpec } from './model';

export const HMAC_KEY_SPECS: readonly HmacKeySpec[] = ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512'];

export const MAC_ALGORITHMS = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const;
export type MacAlgorithm = (typeof MAC_ALGORITHMS)[number];

interface HmacSpecFacts {
  readonly macAlgorithm: MacAlgorithm;
  /** Node's digest name. */
  readonly digest: string;
  readonly materialBytes: number;
}

const FACTS: Readonly<Record<HmacKeySpec, HmacSpecFacts>> = {
  HMAC_224: { macAlgorithm: 'HMAC_SHA_224', digest: 'sha224', materialBytes: 28 },
  HMAC_256: { macAlgorithm: 'HMAC_SHA_256', digest: 'sha256', materialBytes: 32 },
  HMAC_384: { macAlgorithm: 'HMAC_SHA_384', digest: 'sha384', materialBytes: 48 },
  HMAC_512: { macAlgorithm: 'HMAC_SHA_512', digest: 'sha512', materialBytes: 64 },
};

export function isHmacKeySpec(spec: string): spec is HmacKeySpec {
  return (HMAC_KEY_SPECS as readonly string[]).includes(spec);
}

export function hmacFacts(spec: HmacKeySpec): HmacSpecFacts {
  return FACTS[spec];
}

/** Bytes of secret material a new AWS_KMS key of `spec` gets. */
export function materialBytesOf(spec: KeySpec): number {
  return isHmacKeySpec(spec) ? FACTS[spec].materialBytes : 32;
}
