/**
 * Brings one generation's key in KMS to what the ledger says (policy,
 * description, labels) and records it. Every write is derived from the ledger
 * (and, for a stack Update, the settings it replaces), never from a read of
 * the key, which may show it as it was before our own last write. A rotation
 * phase writes only when the digest of what was last applied differs, so a
 * repeated run makes no KMS call; a stack Update writes every time.
 */
import { Deps, step } from '../context';
import { desiredKeyState } from '../key-state';
import { labelsToRemove } from '../label-removals';
import { relabelTags } from '../labels';
import { generation, withGeneration } from '../ledger-model';
import { isFenced, withRetiredFence } from '../policy';
import { eventually } from '../retry';
import { Session } from '../session';
import { TAG } from '../tags';

/** KMS may not show a key it has just made, or show it in the state before our last write. */
const FRESH = ['NotFoundException', 'KMSInvalidStateException'];

export interface ApplyOptions {
  /**
   * Stack updates: write the description, the tags and the labels whatever the
   * ledger says was last applied (a run that died between a KMS write and its
   * ledger write leaves a key the ledger cannot describe), and remove every
   * label the key should not carry and every user tag key `formerUserTagKeys`
   * names that the settings no longer declare. Rotation phases change only
   * labels they know.
   */
  readonly full: boolean;
  /**
   * With `full`: the user tag keys the settings being replaced declared (the
   * ledger's settings before the Update and the event's old properties).
   * @default - none
   */
  readonly formerUserTagKeys?: readonly string[];
}

export async function applyKeyState(d: Deps, s: Session, n: number, o: ApplyOptions): Promise<void> {
  const g = generation(s.record, n);
  if (!g || g.stage === 'discarded' || g.deletionScheduledAt) return;
  const desired = desiredKeyState(s.record, g);
  if (!o.full && g.appliedDigest === desired.digest) return;
  await step(d, 'apply-key-state', { group: s.record.groupId, generation: n, keyArn: g.keyArn }, async () => {
    const fresh = <T>(run: () => Promise<T>) => eventually(d, FRESH, run);
    // Written every time rather than after a DescribeKey: a read seconds after an Update may show the description
    // before it, and one call per generation and stack Update costs less than a read.
    if (o.full && desired.description !== undefined) await fresh(() => d.kms.updateDescription(g.keyId, desired.description!));
    // A stack Update untags what the replaced settings declared; a rotation phase (whose role may untag only the
    // due date) removes the due date from a generation that is no longer current.
    const stale = o.full
      ? labelsToRemove(desired.tags, o.formerUserTagKeys ?? [], g.adopted)
      : g.stage === 'current' ? [] : [TAG.nextDueAt];
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
