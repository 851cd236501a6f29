/**
 * Tag keys written on every generation (see docs/wire-contract.md). Pure.
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
} as const;

export const RESERVED_TAG_PREFIX = 'rotation:';
export const MANAGED_BY = 'cdk-rotating-imported-key';
export const MAX_USER_TAGS = 35;

export type Stage = 'pending' | 'current' | 'retired';
const STAGES: readonly string[] = ['pending', 'current', 'retired'];

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

export function stageOf(tags: TagMap): Stage | undefined {
  const s = tags[TAG.stage];
  return s !== undefined && STAGES.includes(s) ? (s as Stage) : undefined;
}

export function generationOf(tags: TagMap): number | undefined {
  const g = tags[TAG.generation];
  if (g === undefined || !/^[1-9]\d{0,5}$/.test(g)) return undefined;
  return Number(g);
}

/** True when the tags say the key belongs to this group and was made by this library. */
export function claimsGroup(tags: TagMap, groupId: string): boolean {
  return tags[TAG.group] === groupId && tags[TAG.managedBy] === MANAGED_BY;
}
