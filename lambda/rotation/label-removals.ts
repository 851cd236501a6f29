/**
 * Which tags a stack Update removes from a key, and which leftovers an audit
 * reports, derived from settings the ledger and CloudFormation declare, never
 * from a read of the key's tags (which may be stale). Pure.
 */
import { AdoptedKey } from './ledger-model';
import { TAG, TagMap } from './tags';

/** At most this many former tag keys are remembered for the audit (a group declares at most 35 at a time). */
export const MAX_FORMER_TAG_KEYS = 100;

/** Labels this library may write on some generation at some stage; never the group or stack tag (CreateKey's) nor the attempt tag. */
const REMOVABLE_LABELS: readonly string[] = Object.values(TAG).filter((k) => k !== TAG.group && k !== TAG.stack && k !== TAG.attempt);

/**
 * What an Update untags on a key: every label of this library the key should
 * not carry now, and every user tag key that the settings before the Update
 * declared (`formerUserTagKeys`) and the new ones do not. Untagging a key the
 * key does not carry is a no-op in KMS, so no read is needed. From an adopted
 * key only this library's labels are removed (its other tags are its owner's:
 * a tag dropped from the settings stays on it, as the README says).
 */
export function labelsToRemove(desired: TagMap, formerUserTagKeys: Iterable<string>, adopted?: AdoptedKey): string[] {
  const out = new Set<string>();
  for (const k of REMOVABLE_LABELS) if (!(k in desired)) out.add(k);
  if (!adopted) for (const k of formerUserTagKeys) if (!(k in desired)) out.add(k);
  return [...out].sort();
}

/** The tag keys earlier settings of the group declared and the new ones do not (remembered for the audit). */
export function formerTagKeysAfter(remembered: readonly string[] | undefined, dropped: Iterable<string>, declared: TagMap): string[] {
  const out = new Set<string>();
  for (const k of [...(remembered ?? []), ...dropped]) if (!(k in declared)) out.add(k);
  return [...out].sort().slice(0, MAX_FORMER_TAG_KEYS);
}

/** Tags a key carries that earlier settings of the group declared and the current ones do not. */
export function leftoverTags(actual: TagMap, desired: TagMap, formerTagKeys: readonly string[] | undefined): string[] {
  return (formerTagKeys ?? []).filter((k) => k in actual && !(k in desired));
}
