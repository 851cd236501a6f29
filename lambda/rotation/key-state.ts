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
  readonly policy: PolicyDocument;
  readonly description: string;
  readonly tags: TagMap;
  readonly digest: string;
  readonly policyDigest: string;
}

export function desiredKeyState(rec: GroupRecord, g: GenerationRecord): KeyState {
  const s = rec.settings;
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

function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export function policyDigest(policy: PolicyDocument): string {
  return digestOf(policy);
}
