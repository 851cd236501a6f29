/**
 * The claim on generation n: its generation alias, created by the one run that
 * makes that generation (see docs/wire-contract.md). A claim younger than the
 * lease belongs to a run that may still be alive; an older one was left by a
 * run that died, and exactly one later run may take it over.
 */
import { generationAlias } from './aliases';
import { Deps } from './context';
import { toTimestamp } from './dates';
import { InconsistentGroupError } from './errors';
import { KeyInfo } from './kms-gateway';
import { TAG, TagMap } from './tags';

export interface Claim {
  readonly name: string;
  readonly target: KeyInfo;
  /** When the claim was created; undefined when it moved while being read (its author is alive). */
  readonly createdAt?: Date;
  /** Last time its author touched it (created or moved it). */
  readonly touchedAt: Date;
}

export async function readClaim(d: Deps, groupId: string, n: number, target?: KeyInfo): Promise<Claim | undefined> {
  const name = generationAlias(groupId, n);
  const key = target ?? await d.kms.describeKey(name);
  if (!key) return undefined;
  const dates = await d.kms.aliasDates(key.keyId, name);
  if (!dates) return { name, target: key, touchedAt: d.now() };
  const touchedAt = new Date(Math.max(dates.creationDate.getTime(), dates.lastUpdatedDate.getTime()));
  return { name, target: key, createdAt: dates.creationDate, touchedAt };
}

export function isLive(d: Deps, claim: Claim): boolean {
  return claim.createdAt === undefined || d.now().getTime() - claim.touchedAt.getTime() < d.leaseMs;
}

/**
 * Takes over a stale claim, exclusively: the takeover alias is named after the
 * moment the claim was last touched, so of the runs that find the same stale
 * claim only the first `CreateAlias` succeeds. The winner refreshes the claim
 * (a new lease), then removes its takeover alias. If a winner died before
 * refreshing, its takeover alias goes stale in turn and the next level opens.
 */
export async function takeOver(d: Deps, claim: Claim): Promise<boolean> {
  const base = `${claim.name}-takeover-${claim.touchedAt.getTime()}`;
  for (let level = 1; level <= MAX_TAKEOVER_LEVELS; level++) {
    const takeover = `${base}-${level}`;
    if (await d.kms.createAlias(takeover, claim.target.keyId) === 'created') {
      await d.kms.updateAlias(claim.name, claim.target.keyId);
      for (let l = level; l >= 1; l--) await d.kms.deleteAlias(`${base}-${l}`);
      d.log.warn('took over a claim left by a run that died', { claim: claim.name, claimedAt: toTimestamp(claim.touchedAt) });
      return true;
    }
    const dates = await d.kms.aliasDates(claim.target.keyId, takeover);
    if (!dates || d.now().getTime() - Math.max(dates.creationDate.getTime(), dates.lastUpdatedDate.getTime()) < d.leaseMs) return false;
  }
  return false;
}

const MAX_TAKEOVER_LEVELS = 5;

/**
 * Finds the key a dead run created but did not register, through the tagging
 * index (O(matches), never a scan of the account's keys). It must carry the
 * group's pending tags for generation n, name `previous` as its previous key
 * (when given), and have been created between `since` and `until` (the claim's lease): a key
 * that only copies the group's tags, made at another time, is never adopted.
 */
export async function findUnregistered(
  d: Deps, groupId: string, n: number, previous: KeyInfo | undefined, since: Date, until = new Date(since.getTime() + d.leaseMs),
): Promise<{ key: KeyInfo; tags: TagMap } | undefined> {
  const candidates = await d.kms.findKeysByTags({ [TAG.group]: groupId, [TAG.generation]: String(n), [TAG.stage]: 'pending' });
  const accepted: Array<{ key: KeyInfo; tags: TagMap }> = [];
  for (const c of candidates) {
    if (previous && c.tags[TAG.previousKey] !== previous.keyId) continue;
    if (!previous && c.tags[TAG.previousKey] !== undefined) continue;
    const key = await d.kms.describeKey(c.keyId);
    if (!key || key.origin !== 'EXTERNAL') continue;
    const created = key.creationDate.getTime();
    if (created < since.getTime() || created > until.getTime()) continue;
    if (key.state !== 'PendingImport' && key.state !== 'Enabled') continue;
    accepted.push({ key, tags: c.tags });
  }
  if (accepted.length > 1) {
    throw new InconsistentGroupError(`more than one unregistered key claims generation ${n} of group ${groupId} (${accepted.map((a) => a.key.arn).join(', ')}); refusing to guess`);
  }
  if (accepted[0]) d.log.warn('found the key a dead run created; finishing it', { group: groupId, generation: n, keyArn: accepted[0].key.arn });
  return accepted[0];
}
