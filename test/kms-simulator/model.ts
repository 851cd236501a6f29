/**
 * Records held by the simulator and the read-only snapshots exposed to tests.
 */
import type { KeyObject } from 'crypto';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingImport' | 'PendingDeletion';
export type Origin = 'AWS_KMS' | 'EXTERNAL';
export type ExpirationModel = 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
export type KeyMaterialState = 'CURRENT' | 'NON_CURRENT' | 'PENDING_ROTATION';
export type WrappingAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';
export type WrappingKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
export type HmacKeySpec = 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512';
export type KeySpec = 'SYMMETRIC_DEFAULT' | HmacKeySpec;
export type KeyUsage = 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC';

/** One key material associated with (or pending rotation into) a KMS key. */
export interface MaterialRecord {
  /** 64 hex chars: sha256(keyId || material). */
  readonly id: string;
  /** Association order (monotonic per simulator); used for stable listing. */
  readonly seq: number;
  /** The secret bytes (32 for SYMMETRIC_DEFAULT, the spec's size for HMAC keys); undefined while the material is not imported (deleted or expired). */
  bytes: Buffer | undefined;
  state: KeyMaterialState;
  /** Only for EXTERNAL keys. */
  expirationModel?: ExpirationModel;
  validTo?: Date;
  description?: string;
  /** When the material became current through a rotation. */
  rotationDate?: Date;
}

export interface KeyRecord {
  readonly id: string;
  readonly arn: string;
  /** Creation order; used for stable listing. */
  readonly seq: number;
  readonly origin: Origin;
  readonly keySpec: KeySpec;
  readonly keyUsage: KeyUsage;
  readonly creationDate: Date;
  description: string;
  policy: string;
  /** Tag key to value, in insertion order. */
  tags: Map<string, string>;
  /** Set by DisableKey / CancelKeyDeletion, cleared by EnableKey and by a completed import. */
  disabled: boolean;
  deletionDate?: Date;
  pendingWindowInDays?: number;
  /** Materials in association order: first material, rotations, then pending rotation. */
  materials: MaterialRecord[];
  onDemandRotations: number;
  /** The last successful cryptographic operation (GetKeyLastUsage). */
  lastUsage?: KeyUsageRecord;
}

export interface KeyUsageRecord {
  readonly operation: string;
  readonly at: Date;
  /** The CloudTrail event id of the request (a fresh UUID per request here). */
  readonly cloudTrailEventId: string;
}

export interface AliasRecord {
  readonly name: string;
  targetKeyId: string;
  readonly creationDate: Date;
  lastUpdatedDate: Date;
}

export interface ImportTokenRecord {
  readonly keyId: string;
  readonly algorithm: WrappingAlgorithm;
  readonly spec: WrappingKeySpec;
  readonly privateKey: KeyObject;
  readonly modulusBytes: number;
  readonly validTo: Date;
}

export interface MaterialSnapshot {
  readonly keyMaterialId: string;
  readonly state: KeyMaterialState;
  readonly imported: boolean;
  readonly expirationModel?: ExpirationModel;
  readonly validTo?: Date;
  readonly rotationDate?: Date;
  readonly description?: string;
}

export interface KeySnapshot {
  readonly id: string;
  readonly arn: string;
  readonly state: KeyState;
  readonly origin: Origin;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly tags: Record<string, string>;
  readonly policy: string;
  readonly description: string;
  /** True when the current key material is present (imported and not expired/deleted). */
  readonly hasMaterial: boolean;
  readonly currentKeyMaterialId?: string;
  /** Earliest expiry among imported, permanently associated materials. */
  readonly validTo?: Date;
  readonly expirationModel?: ExpirationModel;
  readonly creationDate: Date;
  readonly deletionDate?: Date;
  readonly onDemandRotations: number;
  readonly materials: MaterialSnapshot[];
}

export interface AliasSnapshot {
  readonly AliasName: string;
  readonly TargetKeyId: string;
  readonly CreationDate: Date;
  readonly LastUpdatedDate: Date;
}
