/**
 * The authorization view of a key: the key policy, tags and aliases that authorization uses
 * (kms-facts §10: "It might take up to five minutes for tag and alias changes to affect KMS
 * key authorization. Recent changes might be visible in API operations before they affect
 * authorization.").
 *
 * Modelling choice: authorization sees the state as of `max(keyCreation, now - propagationMs)`
 * on the simulated clock, where the values a key was CREATED with (the policy and tags of
 * CreateKey) count at once, while every LATER change (TagResource, UntagResource,
 * PutKeyPolicy, and CreateAlias/UpdateAlias/DeleteAlias pointing an alias at or away from the
 * key) reaches authorization exactly `propagationMs` after it was made. AWS documents the
 * delay for tags and aliases; applying it to PutKeyPolicy as well is our choice (the safe
 * assumption for a fence that is set by changing the key policy).
 */
import type { ChangeHistory } from './history';
import type { KeyRecord } from './model';

export interface AuthorizationView {
  readonly policy: string;
  readonly tags: ReadonlyMap<string, string>;
  /** Names of the aliases pointing at the key, sorted. */
  readonly aliases: readonly string[];
}

export function authorizationView(history: ChangeHistory, key: KeyRecord, nowMs: number, propagationMs: number): AuthorizationView {
  const t = nowMs - propagationMs;
  const timeline = history.keyTimeline(key.id);
  // Before the first propagation window has passed, the key as created.
  const version = timeline?.valueAt(t) ?? timeline?.first()?.value ?? key;
  return { policy: version.policy, tags: version.tags, aliases: history.aliasesOfKeyAt(key.id, t) };
}
