/**
 * Brings one generation's key in KMS to what the ledger says (policy,
 * description, labels) and records it. Writes only when the digest of what was
 * last applied differs, so a repeated run makes no KMS call.
 */
import { Deps, step } from '../context';
import { desiredKeyState } from '../key-state';
import { relabelTags, staleLabelKeys } from '../labels';
import { generation, withGeneration } from '../ledger-model';
import { isFenced, withRetiredFence } from '../policy';
import { eventually } from '../retry';
import { Session } from '../session';
import { TAG } from '../tags';

/** KMS may not show a key it has just made, or show it in the state before our last write. */
const FRESH = ['NotFoundException', 'KMSInvalidStateException'];

export interface ApplyOptions {
  /**
   * Stack updates: also update the description and remove every tag the group
   * no longer declares (which needs a read of the key's tags). Rotation phases
   * change only labels they know, and read nothing.
   */
  readonly full: boolean;
}

export async function applyKeyState(d: Deps, s: Session, n: number, o: ApplyOptions): Promise<void> {
  const g = generation(s.record, n);
  if (!g || g.stage === 'discarded' || g.deletionScheduledAt) return;
  const desired = desiredKeyState(s.record, g);
  if (g.appliedDigest === desired.digest) return;
  await step(d, 'apply-key-state', { group: s.record.groupId, generation: n, keyArn: g.keyArn }, async () => {
    const fresh = <T>(run: () => Promise<T>) => eventually(d, FRESH, run);
    let stale: string[];
    if (o.full) {
      if (desired.description !== undefined) {
        const key = await fresh(() => d.kms.describeKey(g.keyId));
        if (key && key.description !== desired.description) await fresh(() => d.kms.updateDescription(g.keyId, desired.description!));
      }
      // A read right after our own tag write may show older tags: at worst a tag is written or removed twice.
      // An adopted key's other tags are its owner's: only this library's labels are removed from it.
      stale = staleLabelKeys(await fresh(() => d.kms.listTags(g.keyId)), desired.tags, g.adopted !== undefined);
    } else {
      stale = g.stage === 'current' ? [] : [TAG.nextDueAt];
    }
    // The group tag goes on an existing key only when a Create adopts it (its first labels).
    const tags = relabelTags(desired.tags, { withGroup: g.adopted !== undefined && g.labelsWrittenAt === undefined });
    await fresh(() => d.kms.tag(g.keyId, tags));
    await fresh(() => d.kms.untag(g.keyId, stale));
    const policyChanged = g.appliedPolicyDigest !== desired.policyDigest;
    if (policyChanged && desired.policy) await fresh(() => d.kms.putPolicy(g.keyId, desired.policy!));
    // An adopted key keeps its own policy; with the fence opted in, the fence statement is added to it
    // (every other statement is kept as it is: other principals may rely on them).
    if (policyChanged && !desired.policy && g.adopted?.fence && g.fencedAt) {
      const own = await fresh(() => d.kms.getPolicy(g.keyId));
      if (!isFenced(own)) await fresh(() => d.kms.putPolicy(g.keyId, withRetiredFence(own)));
    }
    const now = d.now().toISOString();
    await s.save((r) => withGeneration(r, {
      ...generation(r, n)!,
      appliedDigest: desired.digest,
      appliedPolicyDigest: desired.policyDigest,
      labelsWrittenAt: now,
      // A policy change reaches authorization only after the propagation window.
      authorizableSince: policyChanged ? now : g.authorizableSince,
    }));
  });
}
