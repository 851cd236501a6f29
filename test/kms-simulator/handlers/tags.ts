/**
 * TagResource / UntagResource / ListResourceTags, tag validation shared with CreateKey, and
 * GetResources of the Resource Groups Tagging API.
 */
import { limitExceeded, SimError, tagError, taggingInvalidParameter, validation } from '../errors';
import type { Input, JsonObject } from '../input';
import type { KeyRecord } from '../model';
import { paginate } from '../paging';
import { Handler, HandlerContext, Output, readLimit } from './types';

export const MAX_TAGS_PER_KEY = 50;

function checkTagKey(key: unknown): string {
  if (typeof key !== 'string') {
    throw validation("1 validation error detected: Value null at 'tagKey' failed to satisfy constraint: Member must not be null");
  }
  if (key.length < 1 || key.length > 128) {
    throw tagError(`Tag key must be 1 to 128 characters long: '${key.slice(0, 140)}'`);
  }
  if (key.toLowerCase().startsWith('aws:')) {
    throw tagError(`Tag keys beginning with 'aws:' are reserved: '${key}'`);
  }
  return key;
}

/** Validates a Tags list ([{TagKey, TagValue}]) and returns its entries in order. */
export function parseTags(list: unknown[]): Array<[string, string]> {
  return list.map((item) => {
    if (typeof item !== 'object' || item === null) {
      throw new SimError('SerializationException', 'Tags must be a list of {TagKey, TagValue}');
    }
    const t = item as JsonObject;
    const key = checkTagKey(t.TagKey);
    if (typeof t.TagValue !== 'string') {
      throw validation("1 validation error detected: Value null at 'tagValue' failed to satisfy constraint: Member must not be null");
    }
    if (t.TagValue.length > 256) {
      throw tagError(`Tag value must be at most 256 characters long (key '${key}')`);
    }
    return [key, t.TagValue];
  });
}

/** Adds/replaces tags, refusing more than MAX_TAGS_PER_KEY distinct keys. */
export function mergeTags(existing: Map<string, string>, entries: Array<[string, string]>): Map<string, string> {
  const merged = new Map(existing);
  for (const [k, v] of entries) {
    merged.set(k, v);
  }
  if (merged.size > MAX_TAGS_PER_KEY) {
    throw limitExceeded(`A KMS key can have at most ${MAX_TAGS_PER_KEY} tags`);
  }
  return merged;
}

const tagResource: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  if (!input.has('Tags')) {
    throw validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
  }
  const entries = parseTags(input.list('Tags'));
  const key = store.resolveKey(keyId, { allowAlias: false });
  store.assertNotPendingDeletion(key);
  key.tags = mergeTags(key.tags, entries);
  return {};
};

const untagResource: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  if (!input.has('TagKeys')) {
    throw validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
  }
  const tagKeys = input.list('TagKeys').map(checkTagKey);
  const key = store.resolveKey(keyId, { allowAlias: false });
  store.assertNotPendingDeletion(key);
  for (const k of tagKeys) {
    key.tags.delete(k);
  }
  return {};
};

const listResourceTags: Handler = ({ store, view }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const limit = readLimit(input, { max: 50, default: 50 });
  const marker = input.optionalString('Marker', { max: 1024 });
  const key = store.resolveKey(keyId, { allowAlias: false, view });
  const tags = [...key.tags.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const page = paginate(tags, ([k]) => k, limit, marker);
  return {
    Tags: page.items.map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
    Truncated: page.truncated,
    NextMarker: page.nextMarker,
  };
};

interface TagFilter {
  readonly key: string;
  readonly values: readonly string[];
}

function parseTagFilters(input: Input): TagFilter[] {
  const raw = input.list('TagFilters');
  if (raw.length > 50) {
    throw taggingInvalidParameter('TagFilters can contain at most 50 filters');
  }
  return raw.map((f) => {
    const filter = (typeof f === 'object' && f !== null ? f : {}) as JsonObject;
    if (typeof filter.Key !== 'string' || filter.Key.length < 1 || filter.Key.length > 128) {
      throw taggingInvalidParameter('Each TagFilter must have a Key of 1 to 128 characters');
    }
    const values = filter.Values === undefined || filter.Values === null ? [] : filter.Values;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw taggingInvalidParameter('TagFilter Values must be a list of strings');
    }
    if (values.length > 20) {
      throw taggingInvalidParameter('A TagFilter can contain at most 20 values');
    }
    return { key: filter.Key, values: values as string[] };
  });
}

function matchesFilters(key: KeyRecord, filters: readonly TagFilter[]): boolean {
  return filters.every((f) => {
    const value = key.tags.get(f.key);
    return value !== undefined && (f.values.length === 0 || f.values.includes(value));
  });
}

/**
 * Resource Groups Tagging API GetResources, restricted to KMS keys of this simulator.
 * Every key of the request's view (including keys pending deletion) is a candidate.
 */
const getResources: Handler = ({ view }: HandlerContext, input: Input): Output => {
  const token = input.optionalString('PaginationToken', { min: 0, max: 2048 });
  const perPage = input.raw.ResourcesPerPage;
  if (perPage !== undefined && perPage !== null && (typeof perPage !== 'number' || !Number.isInteger(perPage) || perPage < 1 || perPage > 100)) {
    throw taggingInvalidParameter('ResourcesPerPage must be between 1 and 100');
  }
  const limit = typeof perPage === 'number' ? perPage : 100;
  const filters = parseTagFilters(input);
  const typeFilters = input.list('ResourceTypeFilters');
  const arnList = input.list('ResourceARNList');
  if (arnList.length > 0 && (filters.length > 0 || typeFilters.length > 0 || (token ?? '') !== '' || perPage !== undefined)) {
    throw taggingInvalidParameter('ResourceARNList cannot be combined with TagFilters, ResourceTypeFilters or pagination parameters');
  }
  const includeKeys = typeFilters.length === 0 || typeFilters.some((t) => t === 'kms' || t === 'kms:key');
  let keys = includeKeys ? view.keys() : [];
  if (arnList.length > 0) {
    keys = keys.filter((k) => arnList.includes(k.arn));
  }
  keys = keys.filter((k) => matchesFilters(k, filters));
  const page = paginate(
    keys,
    (k) => String(k.seq).padStart(12, '0'),
    limit,
    token === undefined || token === '' ? undefined : token,
    taggingInvalidParameter,
  );
  return {
    PaginationToken: page.nextMarker ?? '',
    ResourceTagMappingList: page.items.map((k) => ({
      ResourceARN: k.arn,
      Tags: [...k.tags.entries()].map(([Key, Value]) => ({ Key, Value })),
    })),
  };
};

export const tagHandlers: Record<string, Handler> = {
  TagResource: tagResource,
  UntagResource: untagResource,
  ListResourceTags: listResourceTags,
};

export const taggingApiHandlers: Record<string, Handler> = {
  GetResources: getResources,
};
