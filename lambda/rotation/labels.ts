/**
 * The tags a generation should carry, derived from the ledger. Pure.
 */
import { GenerationRecord } from './ledger-model';
import { GroupSettings } from './settings';
import { MANAGED_BY, RESERVED_TAG_PREFIX, TAG, TagMap } from './tags';

export function labelsFor(s: GroupSettings, g: GenerationRecord, nextDueAt: string | undefined, previousKeyId?: string): TagMap {
  const stage = g.stage === 'discarded' ? 'pending' : g.stage;
  const identity = {
    ...s.userTags,
    [TAG.group]: s.groupId,
    [TAG.generation]: String(g.n),
    [TAG.stage]: stage,
    [TAG.managedBy]: MANAGED_BY,
    [TAG.alias]: s.aliasName,
    [TAG.createdAt]: g.kmsCreationDate,
    [TAG.intervalMonths]: String(s.intervalMonths),
  };
  const dates = {
    ...(g.stage === 'current' && nextDueAt ? { [TAG.nextDueAt]: nextDueAt } : {}),
    ...(g.retiredAt ? { [TAG.retiredAt]: g.retiredAt } : {}),
  };
  // Not made by the library: no wrapping or material labels, and a label that says it was adopted.
  if (g.adopted) return { ...identity, [TAG.adopted]: g.adopted.fence ? 'fence' : 'no-fence', ...dates };
  return {
    ...identity,
    [TAG.wrapping]: `${s.wrappingAlgorithm}/${s.wrappingKeySpec}`,
    [TAG.validityDays]: String(s.materialValidityDays),
    ...(previousKeyId ? { [TAG.previousKey]: previousKeyId } : {}),
    ...(g.activatedAt ? { [TAG.activatedAt]: g.activatedAt } : {}),
    ...dates,
    // A disabled generation keeps its stage (`retired`: the IAM conditions of retention name it); this label says why it is off.
    ...(g.disabledAt ? { [TAG.retention]: 'disabled' } : g.retentionExemptAt ? { [TAG.retention]: 'exempt' } : {}),
  };
}

/**
 * Tag keys this library writes that the key carries but should not (e.g. next-due-at on a retired key).
 * `ownOnly`: only this library's labels (an adopted key's other tags are its owner's).
 */
export function staleLabelKeys(actual: TagMap, desired: TagMap, ownOnly = false): string[] {
  const createTime = [TAG.attempt, TAG.stack] as string[];
  return Object.keys(actual).filter((k) => !(k in desired) && !createTime.includes(k) && (!ownOnly || k.startsWith(RESERVED_TAG_PREFIX)));
}

/** The labels that differ between what a key carries and what the ledger says. */
export function labelDrift(actual: TagMap, desired: TagMap): string[] {
  const changed = Object.keys(desired).filter((k) => actual[k] !== desired[k]);
  return [...changed, ...staleLabelKeys(actual, desired)].sort();
}

/**
 * The labels a `TagResource` on an existing key may carry: never the group tag
 * (written by `CreateKey`; on an adopted key once, by the Create that adopts
 * it: `withGroup`) and never stage `pending` (written by `CreateKey` only).
 * The roles' IAM statements refuse both (docs/security-model.md). Pure.
 */
export function relabelTags(desired: TagMap, o: { readonly withGroup: boolean }): TagMap {
  const out: TagMap = { ...desired };
  if (!o.withGroup) delete out[TAG.group];
  if (out[TAG.stage] === 'pending') delete out[TAG.stage];
  return out;
}
