/**
 * A key group's settings, as the stack declares them and the ledger stores
 * them, and the validation of each field. Pure.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { GROUP_ID_PATTERN } from './aliases';
import { InvalidRequestError } from './errors';
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS, WrappingAlgorithm, WrappingKeySpec } from './material';
import { PolicyContext, PolicyDocument } from './policy';
import { TagMap } from './tags';

export const MIN_INTERVAL_MONTHS = 1;
export const MAX_INTERVAL_MONTHS = 120;
export const MAX_VALIDITY_DAYS = 365;
export const MIN_PROPAGATION_SECONDS = 300;
export const MAX_PROPAGATION_SECONDS = 3600;
export const DEFAULT_PROPAGATION_SECONDS = 420;
/** Emergency rotations a group may start in any 24 hours (lib/validation.ts checks the same at synth). */
export const MIN_EMERGENCY_ROTATIONS_PER_DAY = 1;
export const MAX_EMERGENCY_ROTATIONS_PER_DAY = 24;
export const DEFAULT_EMERGENCY_ROTATIONS_PER_DAY = 3;

/** Bounds of the retention policies (lib/retention.ts checks the same at synth). */
export const RETENTION_LIMITS = {
  minKeep: 1,
  maxKeep: 100,
  minDeleteAfterDays: 30,
  maxDeleteAfterDays: 3650,
  minQuietDays: 7,
  maxQuietDays: 365,
  defaultQuietDays: 30,
} as const;

/**
 * What happens to retired generations (see docs/consistency.md, "Retention").
 * `keep-all`: every retired generation stays enabled, decrypt-only.
 * `keep-latest`: the newest `count` retired generations stay enabled; older ones are disabled.
 * `delete-after`: a retired generation retired longer than `afterDays` and unused for
 * `quietDays` is disabled, and scheduled for deletion (`pendingWindowDays`) once it
 * has been disabled for `quietDays` more.
 */
export type RetentionSettings =
  | { readonly policy: 'keep-all' }
  | { readonly policy: 'keep-latest'; readonly count: number }
  | { readonly policy: 'delete-after'; readonly afterDays: number; readonly quietDays: number; readonly pendingWindowDays: number };

export const KEEP_ALL: RetentionSettings = { policy: 'keep-all' };

/**
 * Where the material of new generations comes from. `generated`: 32 random
 * bytes made in the function. `function`: the wrapped material the
 * provider function answers (docs/material-provider.md).
 */
export type MaterialSourceSettings =
  | { readonly type: 'generated' }
  | { readonly type: 'function'; readonly functionArn: string };

export const GENERATED: MaterialSourceSettings = { type: 'generated' };

/**
 * Adoption of the key the alias already points at (AdoptExisting.alias()):
 * it becomes generation 0 at the group's Create. `fence`: the adopted key
 * gets the decrypt-only fence statement added to its own policy when it is
 * retired (otherwise its policy is never touched).
 */
export interface AdoptSettings {
  readonly fence: boolean;
}

/** How generated material is wrapped to the escrow public key (lib/material-escrow.ts, EscrowWrapping). */
export const ESCROW_WRAPPINGS = ['RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_256'] as const;
export type EscrowWrapping = typeof ESCROW_WRAPPINGS[number];

/**
 * Escrow of generated material (MaterialEscrow): before each import the
 * material is wrapped to the customer's offline RSA public key and written
 * to `bucket` under `<prefix><group>/generation-<n>/`.
 */
export interface EscrowSettings {
  readonly bucket: string;
  readonly prefix: string;
  /** The escrow RSA public key, SubjectPublicKeyInfo DER, base64. */
  readonly publicKey: string;
  readonly wrapping: EscrowWrapping;
}

/** An S3 bucket name (general purpose buckets). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** The escrow prefix: empty or ending in `/`, S3-safe characters. */
const ESCROW_PREFIX = /^([A-Za-z0-9!_.*'()-]+\/)*$/;

/** An unqualified or qualified Lambda function ARN. */
const FUNCTION_ARN = /^arn:aws(-[a-z]+)*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

export interface GroupSettings {
  readonly groupId: string;
  readonly aliasName: string;
  readonly intervalMonths: number;
  readonly description: string;
  /** The group's key policy, without the retired fence. */
  readonly policy: PolicyDocument;
  readonly userTags: TagMap;
  readonly wrappingAlgorithm: WrappingAlgorithm;
  readonly wrappingKeySpec: WrappingKeySpec;
  /** 0: KEY_MATERIAL_DOES_NOT_EXPIRE; otherwise days of validity. */
  readonly materialValidityDays: number;
  readonly removalPolicy: 'retain' | 'destroy';
  readonly pendingWindowDays: number;
  /** How long authorization may take to see alias, tag and policy changes. */
  readonly propagationSeconds: number;
  /** Scheduled rotations start in this hour (0-23) of `scheduleTimeZone`. */
  readonly scheduleHour: number;
  readonly scheduleTimeZone: string;
  readonly policyContext: PolicyContext;
  /** Absent in ledgers written before retention policies existed: read as keep-all (retentionOf). */
  readonly retention?: RetentionSettings;
  /** Absent in ledgers written before material sources existed, and for `generated`: read as generated (materialSourceOf). */
  readonly materialSource?: MaterialSourceSettings;
  /** Absent in ledgers and templates from before the limit existed: read as the default (emergencyRotationsPerDayOf). */
  readonly emergencyRotationsPerDay?: number;
  /** Absent unless the stack adopts the alias's existing key (read by the Create only). */
  readonly adopt?: AdoptSettings;
  /** Absent when the group has no escrow (MaterialEscrow); only with generated material. */
  readonly escrow?: EscrowSettings;
  /**
   * The CloudFormation stack id, written on every key the functions make (tag `rotation:stack`, at CreateKey only):
   * the roles reach keys of a group the template no longer names (a replaced group) by it. Absent in templates from before it.
   */
  readonly stackId?: string;
}

/** The group's material source; absent means generated. */
export function materialSourceOf(s: GroupSettings): MaterialSourceSettings {
  return s.materialSource ?? GENERATED;
}

/** How many emergency rotations the group may start in any 24 hours. */
export function emergencyRotationsPerDayOf(s: GroupSettings): number {
  return s.emergencyRotationsPerDay ?? DEFAULT_EMERGENCY_ROTATIONS_PER_DAY;
}

/** A custom-resource property that holds a JSON object (as a string, as CloudFormation passes it). */
function jsonObjectProperty(v: unknown, field: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = typeof v === 'string' ? JSON.parse(v) : v;
  } catch {
    throw new InvalidRequestError(`${field} must be a JSON object (got invalid JSON)`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InvalidRequestError(`${field} must be a JSON object`);
  return o as Record<string, unknown>;
}

function refuseOtherFields(o: Record<string, unknown>, allowed: readonly string[], field: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new InvalidRequestError(`${field} has unexpected field(s) ${extra.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
}

/** The `MaterialSource` property: a JSON object, absent for generated. */
export function parseMaterialSource(v: unknown, field: string): MaterialSourceSettings {
  if (v === undefined || v === '') return GENERATED;
  const m = jsonObjectProperty(v, field);
  refuseOtherFields(m, ['type', 'functionArn'], field);
  if (m.type === 'generated' && m.functionArn === undefined) return GENERATED;
  if (m.type !== 'function') throw new InvalidRequestError(`${field}.type must be "generated" or "function" (got ${JSON.stringify(m.type)})`);
  if (typeof m.functionArn !== 'string' || !FUNCTION_ARN.test(m.functionArn)) {
    throw new InvalidRequestError(`${field}.functionArn must be a Lambda function ARN (got ${JSON.stringify(typeof m.functionArn === 'string' ? m.functionArn.slice(0, 160) : m.functionArn)})`);
  }
  return { type: 'function', functionArn: m.functionArn };
}

/** The `Adopt` property: a JSON object `{"fence":boolean}`, absent when nothing is adopted. */
export function parseAdopt(v: unknown, field: string): AdoptSettings | undefined {
  if (v === undefined || v === '') return undefined;
  const a = jsonObjectProperty(v, field);
  refuseOtherFields(a, ['fence'], field);
  const fence = a.fence ?? false;
  if (fence !== true && fence !== false && fence !== 'true' && fence !== 'false') {
    throw new InvalidRequestError(`${field}.fence must be true or false (got ${JSON.stringify(fence)})`);
  }
  return { fence: fence === true || fence === 'true' };
}

/** The `Escrow` property: a JSON object, absent for no escrow. */
export function parseEscrow(v: unknown, field: string): EscrowSettings | undefined {
  if (v === undefined || v === '') return undefined;
  const e = jsonObjectProperty(v, field);
  refuseOtherFields(e, ['bucket', 'prefix', 'publicKey', 'wrapping'], field);
  if (typeof e.bucket !== 'string' || !BUCKET_NAME.test(e.bucket)) {
    throw new InvalidRequestError(`${field}.bucket must be an S3 bucket name (got ${JSON.stringify(typeof e.bucket === 'string' ? e.bucket.slice(0, 80) : e.bucket)})`);
  }
  const prefix = e.prefix ?? 'escrow/';
  if (typeof prefix !== 'string' || prefix.length > 200 || !ESCROW_PREFIX.test(prefix)) {
    throw new InvalidRequestError(`${field}.prefix must be empty or end in "/" (letters, digits, !_.*'()-) (got ${JSON.stringify(prefix)})`);
  }
  if (typeof e.wrapping !== 'string' || !(ESCROW_WRAPPINGS as readonly string[]).includes(e.wrapping)) {
    throw new InvalidRequestError(`${field}.wrapping must be one of ${ESCROW_WRAPPINGS.join(', ')} (got ${JSON.stringify(e.wrapping)})`);
  }
  if (typeof e.publicKey !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(e.publicKey)) {
    throw new InvalidRequestError(`${field}.publicKey must be a base64 SubjectPublicKeyInfo (DER)`);
  }
  let bits: number | undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(e.publicKey, 'base64'), format: 'der', type: 'spki' });
    bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  } catch {
    bits = undefined;
  }
  if (bits === undefined || bits < 2048 || bits > 4096) {
    throw new InvalidRequestError(`${field}.publicKey must be an RSA public key of 2048 to 4096 bits`);
  }
  return { bucket: e.bucket, prefix, publicKey: e.publicKey, wrapping: e.wrapping as EscrowWrapping };
}

/** The group's retention policy; ledgers written before it existed keep every generation. */
export function retentionOf(s: GroupSettings): RetentionSettings {
  return s.retention ?? KEEP_ALL;
}

/** A digest of everything that ends up on the keys (policy, description, labels). */
export function settingsDigest(s: GroupSettings): string {
  const userTags = Object.keys(s.userTags).sort().map((k) => [k, s.userTags[k]]);
  const material = JSON.stringify([
    s.aliasName, s.intervalMonths, s.description, s.policy, userTags, s.wrappingAlgorithm, s.wrappingKeySpec, s.materialValidityDays,
  ]);
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}

function wholeNumber(v: unknown, digits: number): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && new RegExp(`^\\d{1,${digits}}$`).test(v) ? Number(v) : NaN;
}

function inRange(v: unknown, field: string, min: number, max: number, unit: string, digits: number): number {
  const n = wholeNumber(v, digits);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidRequestError(`${field} must be a whole number of ${unit} from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function parseIntervalMonths(v: unknown, field: string): number {
  return inRange(v, field, MIN_INTERVAL_MONTHS, MAX_INTERVAL_MONTHS, 'months', 3);
}

export function parseValidityDays(v: unknown, field: string): number {
  const n = wholeNumber(v, 3);
  if (!Number.isInteger(n) || n < 0 || n > MAX_VALIDITY_DAYS) {
    throw new InvalidRequestError(`${field} must be 0 (material never expires) or a whole number of days from 1 to ${MAX_VALIDITY_DAYS} (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function parsePendingWindow(v: unknown, field: string): number {
  return inRange(v, field, 7, 30, 'days', 2);
}

export function parsePropagationSeconds(v: unknown, field: string): number {
  return inRange(v, field, MIN_PROPAGATION_SECONDS, MAX_PROPAGATION_SECONDS, 'seconds', 4);
}

/** The `EmergencyRotationsPerDay` property; absent stays absent (the default applies). */
export function parseEmergencyRotationsPerDay(v: unknown, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  return inRange(v, field, MIN_EMERGENCY_ROTATIONS_PER_DAY, MAX_EMERGENCY_ROTATIONS_PER_DAY, 'emergency rotations per day', 2);
}

export function parseScheduleHour(v: unknown, field: string): number {
  return inRange(v, field, 0, 23, 'hours', 2);
}

export function parseTimeZone(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(v)) {
    throw new InvalidRequestError(`${field} must be an IANA time zone name such as "Etc/UTC" (got ${JSON.stringify(typeof v === 'string' ? v.slice(0, 64) : v)})`);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
  } catch {
    throw new InvalidRequestError(`${field} ${JSON.stringify(v)} is not a time zone this runtime knows`);
  }
  return v;
}

export function parseWrappingAlgorithm(v: unknown, field: string): WrappingAlgorithm {
  if (typeof v !== 'string' || !(WRAPPING_ALGORITHMS as readonly string[]).includes(v)) {
    throw new InvalidRequestError(`${field} must be one of ${WRAPPING_ALGORITHMS.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as WrappingAlgorithm;
}

export function parseWrappingKeySpec(v: unknown, field: string): WrappingKeySpec {
  if (typeof v !== 'string' || !(WRAPPING_KEY_SPECS as readonly string[]).includes(v)) {
    throw new InvalidRequestError(`${field} must be one of ${WRAPPING_KEY_SPECS.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as WrappingKeySpec;
}

/** A CloudFormation stack id (a tag value: at most 256 characters). */
const STACK_ID = /^arn:aws(-[a-z]+)*:cloudformation:[a-z]{2}(-[a-z]+)+-\d:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[A-Za-z0-9-]{1,64}$/;

/** The `StackId` property; absent stays absent (templates from before it). */
export function parseStackId(v: unknown, field: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 256 || !STACK_ID.test(v)) {
    throw new InvalidRequestError(`${field} must be a CloudFormation stack id (arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>) (got ${JSON.stringify(typeof v === 'string' ? v.slice(0, 120) : v)})`);
  }
  return v;
}

export function parseGroupId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !GROUP_ID_PATTERN.test(v)) {
    throw new InvalidRequestError(`${field} must match ${GROUP_ID_PATTERN} (got ${JSON.stringify(typeof v === 'string' ? v.slice(0, 80) : v)})`);
  }
  return v;
}

/** The `Retention` property: a JSON object, absent or empty for keep-all. */
export function parseRetention(v: unknown, field: string): RetentionSettings {
  if (v === undefined || v === '') return KEEP_ALL;
  const r = jsonObjectProperty(v, field);
  const L = RETENTION_LIMITS;
  const only = (...keys: string[]) => refuseOtherFields(r, keys, field);
  switch (r.policy) {
    case 'keep-all':
      only('policy');
      return KEEP_ALL;
    case 'keep-latest':
      only('policy', 'count');
      return { policy: 'keep-latest', count: inRange(r.count, `${field}.count`, L.minKeep, L.maxKeep, 'generations', 3) };
    case 'delete-after':
      only('policy', 'afterDays', 'quietDays', 'pendingWindowDays');
      return {
        policy: 'delete-after',
        afterDays: inRange(r.afterDays, `${field}.afterDays`, L.minDeleteAfterDays, L.maxDeleteAfterDays, 'days', 4),
        quietDays: inRange(r.quietDays ?? L.defaultQuietDays, `${field}.quietDays`, L.minQuietDays, L.maxQuietDays, 'days', 3),
        pendingWindowDays: parsePendingWindow(r.pendingWindowDays ?? 30, `${field}.pendingWindowDays`),
      };
    default:
      throw new InvalidRequestError(`${field}.policy must be "keep-all", "keep-latest" or "delete-after" (got ${JSON.stringify(r.policy)})`);
  }
}
