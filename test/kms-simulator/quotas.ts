/**
 * Request quotas (kms-facts §6, "Request quotas"): per account and operation, token buckets on
 * the simulator's clock (or on real time, for benchmarks); a request beyond the rate answers
 * ThrottlingException (ThrottledException for the tagging API). The symmetric cryptographic operations share one bucket, GenerateMac and
 * VerifyMac included ("Cryptographic operations (symmetric) request rate").
 */
import { realNowMs } from './real-time';
import { TokenBucket } from './token-bucket';

/** Name of the quota shared by the symmetric cryptographic operations. */
export const SYMMETRIC_CRYPTOGRAPHIC_QUOTA = 'SymmetricCryptographicOperations';

export const SYMMETRIC_CRYPTOGRAPHIC_OPERATIONS: readonly string[] = [
  'Encrypt',
  'Decrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncrypt',
  'GenerateMac',
  'VerifyMac',
];

/** Requests per second; `SymmetricCryptographicOperations` is the shared cryptographic quota. */
export type QuotaRates = Readonly<Record<string, number>>;

/** Default quotas of the operations the simulator implements (the shared cryptographic quota depends on the Region). */
export const DEFAULT_KMS_QUOTAS: QuotaRates = {
  CreateKey: 5,
  GetParametersForImport: 1,
  ImportKeyMaterial: 15,
  DeleteImportedKeyMaterial: 15,
  RotateKeyOnDemand: 5,
  ListKeyRotations: 100,
  CreateAlias: 5,
  UpdateAlias: 5,
  DeleteAlias: 15,
  TagResource: 10,
  UntagResource: 5,
  ScheduleKeyDeletion: 15,
  CancelKeyDeletion: 5,
  EnableKey: 5,
  DisableKey: 5,
  UpdateKeyDescription: 5,
  DescribeKey: 2000,
  ListAliases: 500,
  ListKeys: 500,
  ListResourceTags: 2000,
  PutKeyPolicy: 15,
  GetKeyLastUsage: 5,
  [SYMMETRIC_CRYPTOGRAPHIC_QUOTA]: 10000,
};

const CRYPTO_20K_REGIONS = ['us-east-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'eu-central-1', 'eu-west-2'];
const CRYPTO_100K_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** The default quotas in `region` (the shared cryptographic quota is 10,000, 20,000 or 100,000). */
export function defaultQuotas(region: string): QuotaRates {
  const crypto = CRYPTO_100K_REGIONS.includes(region) ? 100000 : CRYPTO_20K_REGIONS.includes(region) ? 20000 : 10000;
  return { ...DEFAULT_KMS_QUOTAS, [SYMMETRIC_CRYPTOGRAPHIC_QUOTA]: crypto };
}

export class QuotaLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly throttledPerOperation = new Map<string, number>();
  /** While paused every request is admitted (a benchmark's setup, which is not measured). */
  public paused = false;

  /**
   * @param rates requests per second per quota; operations without a quota are not limited
   * @param scale multiplies every rate (100: a 1/s quota admits 100 requests per second)
   * @param nowMs the buckets' clock (the simulator's simulated time, or real time)
   */
  constructor(
    private readonly rates: QuotaRates,
    private readonly scale: number,
    private readonly nowMs: () => number = realNowMs,
  ) {
    if (!(Number.isFinite(scale) && scale > 0)) {
      throw new Error(`quotaScale must be a positive number, got ${scale}`);
    }
  }

  /** The quota `op` counts against, if any. */
  public quotaOf(op: string): string | undefined {
    if (this.rates[op] !== undefined) {
      return op;
    }
    if (SYMMETRIC_CRYPTOGRAPHIC_OPERATIONS.includes(op) && this.rates[SYMMETRIC_CRYPTOGRAPHIC_QUOTA] !== undefined) {
      return SYMMETRIC_CRYPTOGRAPHIC_QUOTA;
    }
    return undefined;
  }

  /** Admits one request of `op` by `account`, or returns false (throttled). */
  public admit(account: string, op: string, nowMs: number = this.nowMs()): boolean {
    const quota = this.quotaOf(op);
    if (quota === undefined || this.paused) {
      return true;
    }
    const id = `${account}/${quota}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = new TokenBucket(this.rates[quota] * this.scale, nowMs);
      this.buckets.set(id, bucket);
    }
    if (bucket.take(nowMs)) {
      return true;
    }
    this.throttledPerOperation.set(op, (this.throttledPerOperation.get(op) ?? 0) + 1);
    return false;
  }

  /** Requests throttled so far, in total or for one operation. */
  public throttled(op?: string): number {
    if (op !== undefined) {
      return this.throttledPerOperation.get(op) ?? 0;
    }
    return [...this.throttledPerOperation.values()].reduce((a, b) => a + b, 0);
  }
}
