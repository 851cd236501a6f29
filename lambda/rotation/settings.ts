/**
 * What a new generation is made from, and how it is stored on the current
 * generation's tags so that the function keeps no state of its own. Pure.
 */
import { createHash } from 'node:crypto';
import { GROUP_ID_PATTERN } from './aliases';
import { InvalidRequestError } from './errors';
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS, WrappingAlgorithm, WrappingKeySpec } from './material';
import { PolicyDocument } from './policy';
import { TAG, TagMap, userTagsOf } from './tags';

export const MIN_INTERVAL_MONTHS = 1;
export const MAX_INTERVAL_MONTHS = 120;
export const MAX_VALIDITY_DAYS = 365;

export interface GenerationSettings {
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
}

/**
 * The key policy's `Id` names a digest of the other settings. A stack update
 * writes the policy last, so a rotation that reads the policy after its claim
 * can tell whether the tags and description it read before were already stale.
 */
export function policyIdFor(s: GenerationSettings): string {
  const userTags = Object.keys(s.userTags).sort().map((k) => [k, s.userTags[k]]);
  const material = JSON.stringify([
    s.aliasName, s.intervalMonths, s.description, userTags, s.wrappingAlgorithm, s.wrappingKeySpec, s.materialValidityDays,
  ]);
  return `rotating-imported-key/${createHash('sha256').update(material).digest('hex').slice(0, 16)}`;
}

/** The settings with the policy `Id` that names them. */
export function withPolicyId(s: GenerationSettings): GenerationSettings {
  return { ...s, policy: { ...s.policy, Id: policyIdFor(s) } };
}

/** The tags that carry the group's configuration. */
export function settingsTags(s: GenerationSettings): TagMap {
  return {
    [TAG.group]: s.groupId,
    [TAG.alias]: s.aliasName,
    [TAG.intervalMonths]: String(s.intervalMonths),
    [TAG.wrapping]: `${s.wrappingAlgorithm}/${s.wrappingKeySpec}`,
    [TAG.validityDays]: String(s.materialValidityDays),
  };
}

export function parseIntervalMonths(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < MIN_INTERVAL_MONTHS || n > MAX_INTERVAL_MONTHS) {
    throw new InvalidRequestError(`${field} must be a whole number of months from ${MIN_INTERVAL_MONTHS} to ${MAX_INTERVAL_MONTHS} (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function parseValidityDays(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_VALIDITY_DAYS) {
    throw new InvalidRequestError(`${field} must be 0 (material never expires) or a whole number of days from 1 to ${MAX_VALIDITY_DAYS} (got ${JSON.stringify(v)})`);
  }
  return n;
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

export function parseGroupId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !GROUP_ID_PATTERN.test(v)) {
    throw new InvalidRequestError(`${field} must match ${GROUP_ID_PATTERN} (got ${JSON.stringify(typeof v === 'string' ? v.slice(0, 80) : v)})`);
  }
  return v;
}

/** Reads the group's settings back from the current generation. */
export function settingsFromCurrent(tags: TagMap, description: string, policy: PolicyDocument): GenerationSettings {
  const wrapping = (tags[TAG.wrapping] ?? '').split('/');
  return {
    groupId: parseGroupId(tags[TAG.group], `tag ${TAG.group}`),
    aliasName: tags[TAG.alias] ?? '',
    intervalMonths: parseIntervalMonths(tags[TAG.intervalMonths], `tag ${TAG.intervalMonths}`),
    description,
    policy,
    userTags: userTagsOf(tags),
    wrappingAlgorithm: parseWrappingAlgorithm(wrapping[0], `tag ${TAG.wrapping}`),
    wrappingKeySpec: parseWrappingKeySpec(wrapping[1], `tag ${TAG.wrapping}`),
    materialValidityDays: parseValidityDays(tags[TAG.validityDays], `tag ${TAG.validityDays}`),
  };
}
