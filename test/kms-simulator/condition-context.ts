/**
 * Condition keys of a KMS request (kms-facts §6, "IAM condition keys"): the building blocks
 * the access plans put together per operation.
 */
import type { RequestContext } from '../iam';

/** kms:KeyOrigin, kms:KeySpec, kms:KeyUsage and kms:MultiRegion of a key (or of CreateKey's request). */
export function keyPropertyConditions(key: { origin: string; keySpec: string; keyUsage: string; multiRegion?: boolean }): RequestContext {
  return {
    'kms:KeyOrigin': key.origin,
    'kms:KeySpec': key.keySpec,
    'kms:KeyUsage': key.keyUsage,
    'kms:MultiRegion': key.multiRegion ?? false,
  };
}

/** aws:ResourceTag/<k> for every tag of a key. */
export function resourceTagConditions(tags: ReadonlyMap<string, string>): RequestContext {
  const out: RequestContext = {};
  for (const [k, v] of tags) {
    out[`aws:ResourceTag/${k}`] = v;
  }
  return out;
}

/** aws:RequestTag/<k> and aws:TagKeys of the tags in a request. */
export function requestTagConditions(tags: ReadonlyArray<readonly [string, string]>): RequestContext {
  const out: RequestContext = tagKeysCondition(tags.map(([k]) => k));
  for (const [k, v] of tags) {
    out[`aws:RequestTag/${k}`] = v;
  }
  return out;
}

/** aws:TagKeys (absent when the request names no tag keys). */
export function tagKeysCondition(keys: readonly string[]): RequestContext {
  return keys.length > 0 ? { 'aws:TagKeys': [...keys] } : {};
}

/** kms:EncryptionContext:<k> and kms:EncryptionContextKeys. */
export function encryptionContextConditions(context: Record<string, string>): RequestContext {
  const keys = Object.keys(context);
  const out: RequestContext = keys.length > 0 ? { 'kms:EncryptionContextKeys': keys } : {};
  for (const k of keys) {
    out[`kms:EncryptionContext:${k}`] = context[k];
  }
  return out;
}

/** kms:ResourceAliases: alias names, multi-valued; absent when no alias points at the key. */
export function resourceAliasesCondition(aliases: readonly string[]): RequestContext {
  return aliases.length > 0 ? { 'kms:ResourceAliases': [...aliases] } : {};
}

/** kms:RequestAlias: the alias name when the request's KeyId is an alias name or alias ARN. */
export function requestAliasCondition(aliasName: string | undefined): RequestContext {
  return aliasName !== undefined ? { 'kms:RequestAlias': aliasName } : {};
}
