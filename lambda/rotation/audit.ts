/**
 * Checks what KMS shows against the ledger on runs that change nothing: the
 * due date is bounded by KMS's creation date of the current key, and labels
 * that disagree with the ledger are reported as tampering and rewritten.
 */
import { Deps, step } from './context';
import { InconsistentGroupError } from './errors';
import { desiredKeyState } from './key-state';
import { KeyInfo } from './kms-gateway';
import { leftoverTags } from './label-removals';
import { labelDrift } from './labels';
import { GenerationRecord, GroupRecord, generation, withGeneration } from './ledger-model';
import { applyKeyState } from './phases/apply-key-state';
import { eventually } from './retry';
import { effectiveDueAt } from './schedule-window';
import { GroupBusyError, Session } from './session';
import { RESERVED_TAG_PREFIX } from './tags';

export async function readCurrentKey(d: Deps, rec: GroupRecord, g: GenerationRecord): Promise<KeyInfo> {
  return eventually(d.sleep, ['NotFoundException'], async () => {
    const key = await d.kms.describeKey(g.keyId);
    if (!key) throw Object.assign(new InconsistentGroupError(`the current generation ${g.n} of key group ${rec.groupId} (${g.keyArn}) is not in KMS`), { name: 'NotFoundException' });
    return key;
  });
}

/** The due date this run acts on; an ERROR line when the ledger's is later than KMS allows. */
export function dueDateOf(d: Deps, rec: GroupRecord, key: KeyInfo): Date | undefined {
  if (!rec.nextDueAt) return undefined;
  const ledgerDue = new Date(rec.nextDueAt);
  const due = effectiveDueAt(ledgerDue, key.creationDate, rec.settings.intervalMonths);
  if (due.getTime() < ledgerDue.getTime()) {
    d.log.error('tampering detected: the ledger\'s due date is later than the current key\'s creation date allows', {
      group: rec.groupId, keyArn: key.arn, ledgerNextDueAt: rec.nextDueAt, kmsCreationDate: key.creationDate.toISOString(), actingOn: due.toISOString(), tampering: 'ledger-due-date',
    });
  }
  return due;
}

export async function auditLabels(d: Deps, rec: GroupRecord, g: GenerationRecord): Promise<void> {
  // Our own recent tag writes may not show yet: only labels older than the propagation window are judged.
  if (g.labelsWrittenAt && d.now().getTime() - Date.parse(g.labelsWrittenAt) < rec.settings.propagationSeconds * 1000) return;
  const actual = await d.kms.listTags(g.keyId);
  const desired = desiredKeyState(rec, g).tags;
  // A tag dropped from the settings stays on an adopted key by design (its other tags are its owner's).
  if (!g.adopted) reportLeftovers(d, rec, g, leftoverTags(actual, desired, rec.formerTagKeys));
  // Tags of other people's own on the key are theirs; only this library's labels and the declared tags are judged.
  const drift = labelDrift(actual, desired).filter((k) => k.startsWith(RESERVED_TAG_PREFIX) || k in rec.settings.userTags);
  if (drift.length === 0) return;
  d.log.error('tampering detected: tags of a generation disagree with the ledger; rewriting them from the ledger', {
    group: rec.groupId, generation: g.n, keyArn: g.keyArn, tags: drift, tampering: 'tags',
  });
  let s: Session;
  try {
    s = await Session.open(d, rec.groupId, 'rewrite-labels');
  } catch (e) {
    if (e instanceof GroupBusyError) return; // the next run rewrites them
    throw e;
  }
  try {
    await step(d, 'rewrite-labels', { group: rec.groupId, generation: g.n }, async () => {
      await s.save((r) => withGeneration(r, { ...generation(r, g.n)!, appliedDigest: undefined }));
      await applyKeyState(d, s, g.n, { full: false });
    });
  } finally {
    await s.close();
  }
}

/**
 * A user tag that earlier settings of the group declared and the current ones
 * do not, still on the key: left by a stack Update that did not finish (or by
 * a version that decided from reads). The rotation function may not remove
 * user tags, and a tag key the settings once declared may since have been put
 * back by the owner's own tooling: reported, never removed here. Tags no
 * settings of the group ever declared are the owner's and are not judged.
 */
function reportLeftovers(d: Deps, rec: GroupRecord, g: GenerationRecord, tags: string[]): void {
  if (tags.length === 0) return;
  d.log.warn('tags that earlier settings of the group declared are still on the key; remove them, or declare them again', {
    group: rec.groupId, generation: g.n, keyArn: g.keyArn, tags, leftover: 'tags',
  });
}
