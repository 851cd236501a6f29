/**
 * Scheduling the deletion of a group's keys: a generation a failed Create
 * could not finish, or every generation when the stack is destroyed.
 */
import { Deps } from '../context';
import { GenerationRecord, generation, withGeneration } from '../ledger-model';
import { eventually } from '../retry';
import { Session } from '../session';
import { TAG } from '../tags';

/** A key this group made may answer NotFoundException until KMS shows it: only an old key's answer means "gone". */
async function scheduleOwnKeyDeletion(d: Deps, keyId: string, createdAt: string, windowDays: number, propagationSeconds: number): Promise<void> {
  await eventually(d, ['NotFoundException'], async () => {
    const r = await d.kms.scheduleDeletion(keyId, windowDays);
    const young = d.now().getTime() - Date.parse(createdAt) < propagationSeconds * 1000;
    if (r === 'not-found' && young) throw Object.assign(new Error(`key ${keyId} is not visible yet`), { name: 'NotFoundException' });
    if (r === 'not-found') d.log.warn('key already gone', { keyId });
  });
}

export async function scheduleGenerationDeletion(d: Deps, s: Session, g: GenerationRecord, windowDays: number): Promise<void> {
  await scheduleOwnKeyDeletion(d, g.keyId, g.authorizableSince, windowDays, s.record.settings.propagationSeconds);
  const now = d.now().toISOString();
  await s.save((rec) => withGeneration(rec, { ...generation(rec, g.n)!, deletionScheduledAt: now }));
}

/**
 * Keys of the rotation under way that no record names yet (the run that made
 * them died before recording them): found by the attempt id they carry.
 */
export async function scheduleUnrecordedAttemptDeletion(d: Deps, s: Session, windowDays: number): Promise<void> {
  const r = s.record.rotation;
  if (!r?.attemptId) return;
  const found = await d.kms.findKeysByTags({ [TAG.group]: s.record.groupId, [TAG.attempt]: r.attemptId });
  for (const k of found) {
    if (s.record.generations.some((g) => g.keyId === k.keyId)) continue;
    await scheduleOwnKeyDeletion(d, k.keyId, r.attemptStartedAt ?? d.now().toISOString(), windowDays, s.record.settings.propagationSeconds);
    d.log.warn('scheduled deletion of an unrecorded key of this group', { group: s.record.groupId, keyArn: k.arn, attemptId: r.attemptId });
  }
}
