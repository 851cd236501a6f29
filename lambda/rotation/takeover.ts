/**
 * Replacement of a key group: a new group id for the same alias (the groupId
 * prop changed, or the construct moved). The new group takes the alias over
 * from the old one with the staged promotion: its generation 1 is made and
 * tested by the Create and promoted by the rotation function's scheduled runs
 * a propagation window later, so the alias keeps working the whole time. The
 * old group's keys stay its own and follow its removal policy when
 * CloudFormation deletes it; a rollback (CloudFormation deletes the new group)
 * gives the alias back.
 *
 * Only a group of the same ledger may be taken over: the alias index names it
 * and its entry (sealed) lists the key the alias points at. Any other key is
 * refused with the adopt advice.
 */
import { generationAlias } from './aliases';
import { Deps } from './context';
import { InvalidRequestError, isKmsError } from './errors';
import { currentGeneration, generation, GenerationRecord, GroupRecord, liveGenerations, TakeoverRecord, withGeneration } from './ledger-model';
import { aliasTarget } from './phases/alias-target';
import { scheduleGenerationDeletion } from './phases/discard';
import { Session } from './session';
import { GroupSettings } from './settings';

/** A generation made and never promoted is discarded with KMS's shortest window. */
const DISCARD_WINDOW_DAYS = 7;

function foreignAlias(aliasName: string, keyArn: string): InvalidRequestError {
  return new InvalidRequestError(`alias ${aliasName} already exists and points at key ${keyArn}, which this key group did not create; adopting an existing alias needs the adopt prop (AdoptExisting.alias())`);
}

/**
 * The user alias must be free, this group's own, or a group's of the same
 * ledger (then this Create takes it over: the answer). Reads only.
 */
export async function inspectAliasOwner(d: Deps, settings: GroupSettings, existing: GroupRecord | undefined): Promise<TakeoverRecord | undefined> {
  if (existing?.status === 'creating' && existing.takeover) return existing.takeover;
  const aliasName = settings.aliasName;
  const target = await d.kms.describeKey(aliasName);
  if (!target || existing?.generations.some((g) => g.keyId === target.keyId)) return undefined;
  const owner = await d.ledger.groupOfAlias(aliasName);
  if (owner === undefined || owner === settings.groupId) throw foreignAlias(aliasName, target.arn);
  const from = await d.ledger.get(owner);
  const owned = from && (from.status === 'active' || from.status === 'retained') && from.settings.aliasName === aliasName
    && liveGenerations(from).some((g) => g.keyId === target.keyId);
  if (!owned) throw foreignAlias(aliasName, target.arn);
  d.log.info('replacement: this group takes the alias over from the group it replaces, with the staged promotion', {
    group: settings.groupId, alias: aliasName, fromGroup: owner, keyArn: target.arn,
  });
  return { fromGroup: owner, keyId: target.keyId, keyArn: target.arn, at: d.now().toISOString() };
}

/** Whether the promotion of a group that took the alias over may move it away from `keyId` (a key of the replaced group). */
export async function mayTakeOverFrom(d: Deps, rec: GroupRecord, keyId: string): Promise<boolean> {
  if (!rec.takeover) return false;
  if (keyId === rec.takeover.keyId) return true;
  const from = await d.ledger.get(rec.takeover.fromGroup);
  return !!from && from.generations.some((g) => g.keyId === keyId);
}

/** The group that took the alias over from `rec`'s group, if it did. */
export async function successorOf(d: Deps, rec: GroupRecord): Promise<GroupRecord | undefined> {
  const owner = await d.ledger.groupOfAlias(rec.settings.aliasName);
  if (owner === undefined || owner === rec.groupId) return undefined;
  const next = await d.ledger.get(owner);
  return next?.takeover?.fromGroup === rec.groupId && (next.status === 'active' || next.status === 'creating') ? next : undefined;
}

/**
 * The generations of a replaced group that its Delete must not schedule for
 * deletion yet: while the successor has not promoted, the alias still
 * resolves to them (the recorded key, and the current generation).
 */
export function deferredForSuccessor(rec: GroupRecord, successor: GroupRecord): number[] {
  if (successor.takeover!.promotedAt) return [];
  const keyIds = [successor.takeover!.keyId, currentGeneration(rec)?.keyId];
  return liveGenerations(rec).filter((g) => keyIds.includes(g.keyId)).map((g) => g.n);
}

/**
 * A window after the successor's promotion (its fence phase): the keys the
 * replaced group's Delete left because the alias still resolved to them get
 * the deletion that group's removal policy (DESTROY) asked for.
 */
export async function completeHandover(d: Deps, rec: GroupRecord): Promise<void> {
  if (!rec.takeover) return;
  const from = await d.ledger.get(rec.takeover.fromGroup);
  if (from?.status !== 'destroyed' || from.handover?.toGroup !== rec.groupId) return;
  const kept = from.handover.retained ?? [];
  const due = from.handover.deferred.filter((n) => generation(from, n)?.deletionScheduledAt === undefined && !kept.includes(n));
  if (due.length === 0) return;
  const s = await Session.open(d, from.groupId, 'handover');
  try {
    const retained: GenerationRecord[] = [];
    for (const n of due) {
      const g = generation(s.record, n)!;
      if (!await deleteReplacedGeneration(d, s, g, s.record.settings.pendingWindowDays)) {
        retained.push(g);
        continue;
      }
      d.log.info('replacement: scheduled the deletion the replaced group\'s Delete left to its successor', {
        group: rec.groupId, fromGroup: from.groupId, generation: n, keyArn: g.keyArn, pendingWindowDays: s.record.settings.pendingWindowDays,
      });
    }
    await recordRetained(d, s, retained);
  } finally {
    await s.close();
  }
}

/**
 * The deletion of a generation of a group the template no longer names (a
 * replaced group, or the group a rolled-back replacement removes): the roles
 * may delete only keys that carry this stack's tag, with the pending window
 * the template declares. Answers false when KMS denies it: the key is left
 * as it is (retained), for recordRetained to report.
 */
export async function deleteReplacedGeneration(d: Deps, s: Session, g: GenerationRecord, windowDays: number): Promise<boolean> {
  try {
    await scheduleGenerationDeletion(d, s, g, windowDays);
    return true;
  } catch (e) {
    if (isKmsError(e, 'AccessDeniedException')) return false;
    throw e;
  }
}

/** One WARN naming the generations a replaced group keeps because its deletion is not allowed, and a record so that nobody tries again. */
export async function recordRetained(d: Deps, s: Session, retained: readonly GenerationRecord[]): Promise<void> {
  if (retained.length === 0) return;
  const ns = retained.map((g) => g.n);
  await s.save((r) => ({ ...r, ...(r.handover ? { handover: { ...r.handover, retained: [...(r.handover.retained ?? []), ...ns] } } : {}) }));
  d.log.warn('replacement: keys of the replaced group retained: the stack\'s policies do not allow their deletion (made before keys carried the rotation:stack tag, '
    + 'or a pending window the template no longer declares); schedule their deletion yourself if they are no longer needed', {
    group: s.record.groupId, removalPolicy: s.record.settings.removalPolicy, generations: ns, keyArns: retained.map((g) => g.keyArn),
  });
}

/** A failed Create of a replacing group: the alias index names the replaced group again (the alias never moved). */
export async function releaseTakeover(d: Deps, rec: GroupRecord): Promise<void> {
  if (rec.takeover) await d.ledger.registerAlias(rec.settings.aliasName, rec.takeover.fromGroup);
}

/**
 * A Delete of a group that took the alias over while the replaced group is
 * still deployed (a rolled-back replacement): the alias goes back to the
 * replaced group's current generation and the alias index names it again.
 * Answers whether it did (then the Delete must leave the user alias alone).
 */
export async function giveAliasBack(d: Deps, s: Session): Promise<boolean> {
  const t = s.record.takeover;
  if (!t) return false;
  const from = await d.ledger.get(t.fromGroup);
  const back = from && (from.status === 'active' || from.status === 'retained') ? currentGeneration(from) : undefined;
  if (!from || !back || from.settings.aliasName !== s.record.settings.aliasName) return false;
  const aliasName = s.record.settings.aliasName;
  const ours = s.record.generations.map((g) => g.keyId);
  const target = await aliasTarget(d, aliasName, [back.keyId]);
  if (target && ours.includes(target.keyId)) await d.kms.updateAlias(aliasName, back.keyId);
  await d.ledger.registerAlias(aliasName, from.groupId);
  const r = s.record.rotation;
  const pending = r && !t.promotedAt ? generation(s.record, r.n) : undefined;
  if (pending && pending.stage === 'pending' && !pending.deletionScheduledAt) {
    // Made and never promoted, so it never held data: discarded whatever the removal policy, as a failed Create's.
    await scheduleGenerationDeletion(d, s, pending, DISCARD_WINDOW_DAYS);
    await d.kms.deleteAlias(generationAlias(s.record.groupId, pending.n));
    await s.save((x) => ({ ...withGeneration(x, { ...generation(x, pending.n)!, stage: 'discarded' }), rotation: undefined }));
  }
  d.log.info('replacement rolled back: the alias is back on the replaced group\'s key', {
    group: s.record.groupId, alias: aliasName, fromGroup: from.groupId, keyArn: back.keyArn,
  });
  return true;
}
