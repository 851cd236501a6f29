/**
 * What a generation's key should look like in KMS (policy, description,
 * labels), derived from the ledger. Pure.
 */
import { createHash } from 'node:crypto';
import { labelsFor } from './labels';
import { GenerationRecord, GroupRecord } from './ledger-model';
import { PolicyDocument, withRetiredFence } from './policy';
import { TagMap } from './tags';

export interface KeyState {
  /** Undefined for an adopted generation: its policy stays its own (the fence is added to it, see apply-key-state). */
  readonly policy?: PolicyDocument;
  /** Undefined for an adopted generation: its description stays its own. */
  readonly description?: string;
  readonly tags: TagMap;
  readonly digest: string;
  readonly policyDigest: string;
}

/** The policy digest of an adopted generation: its own policy, with the fence once fenced. */
export function adoptedPolicyDigest(fenced: boolean): string {
  return fenced ? 'adopted-policy+fence' : 'adopted-policy';
}

export function desiredKeyState(rec: GroupRecord, g: GenerationRecord): KeyState {
  const s = rec.settings;
  if (g.adopted) {
    const tags = labelsFor(s, g, rec.nextDueAt);
    const digestOfPolicy = adoptedPolicyDigest(g.fencedAt !== undefined);
    return { tags, digest: digestOf([digestOfPolicy, Object.keys(tags).sort().map((k) => [k, tags[k]])]), policyDigest: digestOfPolicy };
  }
  const policy = g.fencedAt !== undefined ? withRetiredFence(s.policy) : s.policy;
  const previous = rec.generations.filter((x) => x.n < g.n && x.stage !== 'discarded').pop();
  const tags = labelsFor(s, g, rec.nextDueAt, previous?.keyId);
  const sortedTags = Object.keys(tags).sort().map((k) => [k, tags[k]]);
  return {
    policy,
    description: s.description,
    tags,
    digest: digestOf([policy, s.description, sortedTags]),
    policyDigest: policyDigest(policy),
  };
}

/**
 * The policy digest of a key that may carry either of two policies: one that a
 * settings change wrote into the ledger before the apply that records the key's
 * new policy. Matches no desired digest, so the next apply writes the policy.
 */
export const UNSETTLED_POLICY = 'unsettled';

/**
 * The entry as a settings change writes it: a generation whose key should
 * change forgets what was last applied (a run that dies between a KMS write and
 * the ledger write leaves a key that carries one of the two settings, and the
 * ledger cannot say which), so the next apply writes everything again.
 */
export function withSettingsUnapplied(rec: GroupRecord): GroupRecord {
  return {
    ...rec,
    generations: rec.generations.map((g) => {
      if (g.stage === 'discarded' || g.deletionScheduledAt) return g;
      const desired = desiredKeyState(rec, g);
      return {
        ...g,
        appliedDigest: desired.digest === g.appliedDigest ? g.appliedDigest : undefined,
        appliedPolicyDigest: desired.policyDigest === g.appliedPolicyDigest ? g.appliedPolicyDigest : UNSETTLED_POLICY,
      };
    }),
  };
}

function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export function policyDigest(policy: PolicyDocument): string {
  return digestOf(policy);
}
