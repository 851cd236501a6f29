/**
 * Tag keys written on every generation (see docs/wire-contract.md): labels for
 * people and for ABAC, written from the ledger, never read as the truth. Pure.
 */
export const TAG = {
  group: 'rotation:group',
  generation: 'rotation:generation',
  stage: 'rotation:stage',
  managedBy: 'rotation:managed-by',
  alias: 'rotation:alias',
  previousKey: 'rotation:previous-key',
  createdAt: 'rotation:created-at',
  intervalMonths: 'rotation:interval-months',
  wrapping: 'rotation:wrapping',
  validityDays: 'rotation:material-validity-days',
  activatedAt: 'rotation:activated-at',
  nextDueAt: 'rotation:next-due-at',
  retiredAt: 'rotation:retired-at',
  /** What retention did to a retired generation: `disabled`, or `exempt` (enabled again by an operator). */
  retention: 'rotation:retention',
  /** On an adopted generation only: `fence` (the fence is added to its policy on retirement) or `no-fence`. */
  adopted: 'rotation:adopted',
  /** The rotation attempt that made the key: finds a key whose creator died before recording it. */
  attempt: 'rotation:attempt',
  /** The stack whose functions made the key (its CloudFormation stack id): set by CreateKey only, never changed. */
  stack: 'rotation:stack',
} as const;

export const RESERVED_TAG_PREFIX = 'rotation:';
export const MANAGED_BY = 'cdk-rotating-imported-key';
export const MAX_USER_TAGS = 35;


export type TagMap = Record<string, string>;
export interface KmsTag { TagKey: string; TagValue: string }

export function toKmsTags(tags: TagMap): KmsTag[] {
  return Object.keys(tags).sort().map((k) => ({ TagKey: k, TagValue: tags[k] }));
}

export function fromKmsTags(tags: ReadonlyArray<{ TagKey?: string; TagValue?: string }>): TagMap {
  const out: TagMap = {};
  for (const t of tags) {
    if (t.TagKey !== undefined) out[t.TagKey] = t.TagValue ?? '';
  }
  return out;
}

/** The user's tags on a generation: everything not under the reserved prefix. */
export function userTagsOf(tags: TagMap): TagMap {
  const out: TagMap = {};
  for (const [k, v] of Object.entries(tags)) {
    if (!k.startsWith(RESERVED_TAG_PREFIX)) out[k] = v;
  }
  return out;
}

export function generationOf(tags: TagMap): number | undefined {
  const g = tags[TAG.generation];
  if (g === undefined || !/^[1-9]\d{0,5}$/.test(g)) return undefined;
  return Number(g);
}
