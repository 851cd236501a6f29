/**
 * Puts a group's settings (key policy, description, configuration and user
 * tags) on one generation, writing only what differs.
 */
import { Deps } from './context';
import { KeyInfo } from './kms-gateway';
import { withRetiredFence } from './policy';
import { GenerationSettings, settingsTags } from './settings';
import { RESERVED_TAG_PREFIX, TagMap } from './tags';

export async function applySettings(
  d: Deps, s: GenerationSettings, key: KeyInfo, tags: TagMap, o: { fenced: boolean; extraTags?: TagMap },
): Promise<void> {
  if (key.description !== s.description) await d.kms.updateDescription(key.keyId, s.description);
  const desired: TagMap = { ...s.userTags, ...settingsTags(s), ...o.extraTags };
  await d.kms.tag(key.keyId, Object.fromEntries(Object.entries(desired).filter(([k, v]) => tags[k] !== v)));
  await d.kms.untag(key.keyId, Object.keys(tags).filter((k) => !k.startsWith(RESERVED_TAG_PREFIX) && !(k in s.userTags)));
  // Last: its Id tells a rotation that the tags and description above are written (see policyIdFor).
  await d.kms.putPolicy(key.keyId, o.fenced ? withRetiredFence(s.policy) : s.policy);
}
