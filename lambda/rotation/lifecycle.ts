/**
 * CloudFormation Create, Update and Delete of a key group. Success returns;
 * failure throws (the provider framework answers FAILED with the message at
 * once). A failed Create cleans up what it made before it throws: the
 * framework answers the rollback Delete of a failed Create itself.
 */
import { abandonCreate } from './abandon-create';
import { adoptedGeneration, adoptedOf, inspectAdoption } from './adopt';
import { generationAlias } from './aliases';
import { Deps, step } from './context';
import { nextDueDate } from './due-date';
import { InconsistentGroupError, InvalidRequestError, LedgerTamperedError } from './errors';
import { withSettingsUnapplied } from './key-state';
import { formerTagKeysAfter } from './label-removals';
import { currentGeneration, generation, GenerationRecord, GroupRecord, highestGeneration, liveGenerations } from './ledger-model';
import { aliasTarget } from './phases/alias-target';
import { applyKeyState } from './phases/apply-key-state';
import { createPhase } from './phases/create';
import { scheduleGenerationDeletion, scheduleUnrecordedAttemptDeletion } from './phases/discard';
import { importPhase } from './phases/import';
import { promotePhase } from './phases/promote';
import { testPhase } from './phases/test';
import { afterWindow } from './plan';
import { DeleteRequest } from './requests';
import { Session } from './session';
import { GroupSettings } from './settings';
import {
  deferredForSuccessor, deleteReplacedGeneration, giveAliasBack, inspectAliasOwner, recordRetained, successorOf,
} from './takeover';
import { bindUnsealedEntry } from './unsealed-entry';

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** How long a stack operation waits for a rotation phase (which holds the lock for seconds) to finish. */
function lockWaitMs(d: Deps): number {
  return Math.max(0, Math.min(d.leaseMs, d.remainingMs() - 90_000));
}

function resultOf(rec: GroupRecord): CustomResourceResult {
  // A replacing group's generation 1 before the rotation function promotes it (takeover.ts).
  const current = currentGeneration(rec) ?? generation(rec, rec.rotation!.n)!;
  const region = current.keyArn.split(':')[3];
  const { partition, accountId } = rec.settings.policyContext;
  return {
    PhysicalResourceId: rec.groupId,
    Data: {
      KeyId: current.keyId,
      KeyArn: current.keyArn,
      AliasName: rec.settings.aliasName,
      AliasArn: `arn:${partition}:kms:${region}:${accountId}:${rec.settings.aliasName}`,
      Generation: String(current.n),
    },
  };
}

/** The user alias must be free, or already this group's. */
async function assertAliasUsable(d: Deps, aliasName: string, rec: GroupRecord | undefined): Promise<void> {
  const existing = await d.kms.describeKey(aliasName);
  if (existing && !rec?.generations.some((g) => g.keyId === existing.keyId)) {
    throw new InvalidRequestError(`alias ${aliasName} already exists and points at key ${existing.arn}, which this key group did not create; adopting an existing alias needs the adopt prop (AdoptExisting.alias())`);
  }
}

export async function createGroup(d: Deps, settings: GroupSettings): Promise<CustomResourceResult> {
  d.ledger.deployedSettings(settings);
  const existing = await d.ledger.get(settings.groupId);
  if (existing && (existing.status === 'active' || existing.status === 'retained')) {
    // A repeated Create, or a group whose stack was deleted with RETAIN deployed again: its keys carry on.
    return updateGroup(d, settings, existing.settings.aliasName, settings.groupId);
  }
  const resuming = existing?.status === 'creating';
  // Adoption is checked (reads only) before any write; a Create that resumes one already recorded it.
  const adoptable = settings.adopt && !(resuming && adoptedOf(existing!)) ? await inspectAdoption(d, settings) : undefined;
  const takeover = adoptable ? undefined : await inspectAliasOwner(d, settings, existing);
  let s: Session;
  if (resuming) {
    s = await Session.open(d, settings.groupId, 'create', lockWaitMs(d), (rec) => bindUnsealedEntry(d, rec));
    if (s.record.status === 'active') {
      // Another invocation of the same Create finished it while this one waited.
      await s.close();
      return resultOf(s.record);
    }
    if (!resumable(s.record)) {
      // A sweep (sweep.ts) took the dead Create's entry first, or stopped half-way undoing it: undo what is
      // left, then this Create starts afresh on the failed entry.
      const undone = s.record.status === 'creating' ? await abandonCreate(d, s) : { clean: true };
      await s.close();
      if (!undone.clean) throw new InconsistentGroupError(`key group ${settings.groupId}: the cleanup of an earlier Create that died did not finish; deploy again`);
      return createGroup(d, settings);
    }
  } else {
    const now = d.now();
    // Generations of an earlier, failed or destroyed, incarnation stay as evidence; numbering carries on.
    const earlier = existing?.generations ?? [];
    const adoptedN = earlier.length > 0 ? highestGeneration(existing!) + 1 : 0;
    const adopted = adoptable ? [adoptedGeneration(adoptedN, adoptable, settings.adopt!, now)] : [];
    const fresh: Omit<GroupRecord, 'version'> = {
      groupId: settings.groupId,
      status: 'creating',
      settings,
      generations: [...earlier, ...adopted],
      rotation: { n: adoptable ? adoptedN + 1 : existing ? highestGeneration(existing) + 1 : 1, reason: 'deploy', phase: 'create', startedAt: now.toISOString() },
      lock: { owner: d.runId, purpose: 'create', until: new Date(now.getTime() + d.leaseMs).toISOString() },
      ...(takeover ? { takeover } : {}),
      createdAt: existing?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    s = Session.adopt(d, await d.ledger.write(fresh, existing, now, { runId: d.runId }));
  }
  await d.ledger.registerAlias(settings.aliasName, settings.groupId);
  try {
    const adopted = adoptedOf(s.record);
    // The adopted key gets the group's labels (its policy and description stay its own) before its successor is made.
    if (adopted) await applyKeyState(d, s, adopted.n, { full: false });
    while (s.record.rotation) {
      const { phase, notBefore } = s.record.rotation;
      // With an adopted key current, the alias moves only by the staged promotion: the rotation function's
      // scheduled runs promote the new generation a propagation window after it was made, then fence.
      if (phase === 'promote' && notBefore !== undefined && Date.parse(notBefore) > d.now().getTime()) break;
      if (phase === 'create') await createPhase(d, s);
      else if (phase === 'import') await importPhase(d, s);
      else if (phase === 'test') await testPhase(d, s);
      else if (phase === 'promote') await promotePhase(d, s);
      else throw new InconsistentGroupError(`a Create found key group ${settings.groupId} in phase ${phase}`);
    }
    // Active and unlocked in one write: a Create that dies before it is swept (sweep.ts), one that dies after it
    // has nothing left to do but answer, and a later Create of the group takes it over as a repeated Create.
    await s.save((r) => {
      const { lock: _lock, ...rest } = r;
      return { ...rest, status: 'active' } as GroupRecord;
    });
    if (adopted && s.record.rotation) {
      d.log.info('adopted the alias\'s key as the current generation; the rotation function promotes the new generation after the propagation window', {
        group: settings.groupId,
        generation: adopted.n,
        keyArn: adopted.keyArn,
        origin: adopted.adopted!.origin,
        fence: adopted.adopted!.fence,
        next: s.record.rotation.n,
        nextPhaseAt: s.record.rotation.notBefore,
      });
    }
  } catch (e) {
    // The Create's own error is what CloudFormation must see; what the cleanup could not do is in the log,
    // and the entry stays `creating` for the sweep.
    await abandonCreate(d, s).catch((x: unknown) => d.log.warn('cleanup after a failed Create did not finish', { group: s.record.groupId, errorName: (x as Error).name }));
    await s.close().catch(() => undefined);
    throw e;
  }
  return resultOf(s.record);
}

/** A `creating` entry a Create can carry on: its generation under way is not being discarded. */
function resumable(rec: GroupRecord): boolean {
  if (rec.status !== 'creating') return false;
  if (rec.generations.some((g) => !g.adopted && g.stage !== 'discarded' && g.deletionScheduledAt)) return false;
  return rec.rotation !== undefined || currentGeneration(rec) !== undefined;
}

/**
 * `oldTagKeys`: the user tag keys of the event's old properties. With the
 * ledger's settings before the Update, they name what the Update untags: a
 * rollback Update whose first Update died after a tag write finds the ledger
 * already on the old settings, but the event still names the tags it rolls back.
 */
export async function updateGroup(
  d: Deps, settings: GroupSettings, oldAliasName: string | undefined, physicalResourceId: string, oldTagKeys: readonly string[] = [],
): Promise<CustomResourceResult> {
  if (physicalResourceId !== settings.groupId) {
    // A new group id is a new group: create it; CloudFormation then deletes the old one.
    return createGroup(d, settings);
  }
  d.ledger.deployedSettings(settings);
  const s = await Session.open(d, settings.groupId, 'update', lockWaitMs(d), (rec) => bindUnsealedEntry(d, rec));
  try {
    const before = s.record;
    if (before.status !== 'active' && before.status !== 'retained') {
      throw new InconsistentGroupError(`key group ${settings.groupId} is ${before.status}; it cannot be updated`);
    }
    const fromAlias = before.settings.aliasName;
    const renamed = fromAlias !== settings.aliasName;
    const current = currentGeneration(before)!;
    if (renamed && current.adopted) {
      // Renaming would delete the old alias, which still points at the adopted key (the owner's).
      throw new InvalidRequestError(`aliasName cannot change while the adopted key ${current.keyArn} is the current generation; deploy the rename after generation ${current.n + 1} is promoted (about 20 minutes after the Create)`);
    }
    if (renamed) await assertAliasUsable(d, settings.aliasName, before);
    const formerUserTagKeys = [...Object.keys(before.settings.userTags), ...oldTagKeys];
    await s.save((r) => withSettingsUnapplied({
      ...r,
      status: 'active',
      settings,
      nextDueAt: nextDueDate(settings, current).toISOString(),
      formerTagKeys: formerTagKeysAfter(r.formerTagKeys, formerUserTagKeys, settings.userTags),
    }));
    for (const g of liveGenerations(s.record)) {
      await applyKeyState(d, s, g.n, { full: true, formerUserTagKeys });
    }
    await holdPromotionForNewPolicy(s);
    if (renamed) await renameAlias(d, s, fromAlias, oldAliasName);
  } finally {
    await s.close();
  }
  return resultOf(s.record);
}

/** A pending generation whose policy just changed is authorizable only a propagation window from now. */
async function holdPromotionForNewPolicy(s: Session): Promise<void> {
  const r = s.record.rotation;
  if (r?.phase !== 'promote') return;
  const pending = s.record.generations.find((g) => g.n === r.n) as GenerationRecord;
  const notBefore = afterWindow(s.record, pending.authorizableSince);
  if (r.notBefore === undefined || Date.parse(notBefore) > Date.parse(r.notBefore)) {
    await s.save((x) => ({ ...x, rotation: { ...x.rotation!, notBefore } }));
  }
}

async function renameAlias(d: Deps, s: Session, from: string, declaredOld: string | undefined): Promise<void> {
  const to = s.record.settings.aliasName;
  await step(d, 'rename-alias', { group: s.record.groupId, from, to }, async () => {
    const current = currentGeneration(s.record)!;
    const ours = s.record.generations.map((g) => g.keyId);
    if (await d.kms.createAlias(to, current.keyId) === 'exists') {
      // Left by an earlier rename (say, one rolled back) on a generation of ours: move it; anybody else's: refuse.
      const target = await aliasTarget(d, to, [current.keyId]);
      if (target && !ours.includes(target.keyId)) {
        throw new InvalidRequestError(`alias ${to} already exists and points at ${target.arn}, which this key group did not create`);
      }
      if (target && target.keyId !== current.keyId) await d.kms.updateAlias(to, current.keyId);
    }
    await d.ledger.registerAlias(to, s.record.groupId);
    for (const old of new Set([from, declaredOld].filter((x): x is string => !!x && x !== to))) {
      const target = await aliasTarget(d, old, ours);
      if (target && ours.includes(target.keyId)) await d.kms.deleteAlias(old);
    }
  });
}

export async function deleteGroup(d: Deps, req: DeleteRequest): Promise<CustomResourceResult> {
  const done = { PhysicalResourceId: req.physicalResourceId };
  if (!req.groupId || req.physicalResourceId !== req.groupId) {
    d.log.info('delete: nothing of this group to remove', { physicalResourceId: req.physicalResourceId });
    return done;
  }
  let rec: GroupRecord | undefined;
  try {
    rec = await d.ledger.get(req.groupId);
  } catch (e) {
    if (!retainedDespiteTampering(d, req, e)) throw e;
    return done;
  }
  if (!rec || rec.status === 'destroyed' || rec.status === 'failed') {
    d.log.info('delete: the group is not in the ledger or already gone', { group: req.groupId, status: rec?.status });
    return done;
  }
  let s: Session;
  try {
    s = await Session.open(d, req.groupId, 'delete', lockWaitMs(d), (r) => bindUnsealedEntry(d, r));
  } catch (e) {
    if (!retainedDespiteTampering(d, req, e)) throw e;
    return done;
  }
  try {
    const gaveBack = await giveAliasBack(d, s);
    if (s.record.settings.removalPolicy === 'retain' || req.removalPolicy === 'retain') {
      await s.save((r) => ({ ...r, status: 'retained' }));
      d.log.info('delete: keys and aliases retained (RemovalPolicy RETAIN)', { group: req.groupId });
      return done;
    }
    await destroy(d, s, gaveBack);
  } finally {
    await s.close();
  }
  return done;
}

/** Keys are left as they are either way; with RETAIN that is all a Delete does, so a tampered entry does not hold the stack up. */
function retainedDespiteTampering(d: Deps, req: DeleteRequest, e: unknown): boolean {
  if (!(e instanceof LedgerTamperedError) || req.removalPolicy !== 'retain') return false;
  d.log.error('delete: the ledger failed verification; keys and aliases retained, the entry left as found', {
    group: req.groupId, errorName: e.name, errorMessage: e.message, tampering: e.tampering,
  });
  return true;
}

/**
 * Keys newest first, then aliases: once the pending window of a scheduled key
 * ends, KMS deletes the key with its aliases, and a Delete that dies half-way
 * is run again from the ledger.
 */
async function destroy(d: Deps, s: Session, gaveBack: boolean): Promise<void> {
  const window = s.record.settings.pendingWindowDays;
  await step(d, 'destroy', { group: s.record.groupId, pendingWindowDays: window }, async () => {
    // A group that replaced this one holds the alias: while it has not promoted, the alias still resolves to
    // this group's key, which stays usable; the successor schedules its deletion a window after its promotion.
    const successor = await successorOf(d, s.record);
    const deferred = successor ? deferredForSuccessor(s.record, successor) : [];
    // First: from here on no rotation runs, and a Delete that dies half-way is run again from the ledger.
    await s.save((r) => ({ ...r, status: 'destroying', ...(successor ? { handover: { toGroup: successor.groupId, deferred } } : {}) }));
    await scheduleUnrecordedAttemptDeletion(d, s, window);
    // The template no longer names a replaced group (nor the group a rolled-back replacement removes): the
    // policies allow deleting only its keys that carry the stack tag, and the others are retained.
    const replaced = successor !== undefined || gaveBack;
    const retained: GenerationRecord[] = [];
    // An adopted key is never deleted: it was not made by this library, and others may rely on it.
    for (const g of [...liveGenerations(s.record)].reverse()) {
      if (g.adopted || deferred.includes(g.n)) continue;
      if (!replaced) await scheduleGenerationDeletion(d, s, g, window);
      else if (!await deleteReplacedGeneration(d, s, g, window)) retained.push(g);
    }
    await recordRetained(d, s, retained);
    const aliasName = s.record.settings.aliasName;
    const ours = s.record.generations.map((g) => g.keyId);
    const made = s.record.generations.filter((g) => !g.adopted).map((g) => g.keyId);
    const target = successor || gaveBack ? undefined : await aliasTarget(d, aliasName, ours);
    if (successor || gaveBack) d.log.info('the user alias belongs to another group of this ledger; left alone', { group: s.record.groupId, alias: aliasName, deferred });
    else if (target && made.includes(target.keyId)) await d.kms.deleteAlias(aliasName);
    else if (target) d.log.warn('the user alias points at a key this group did not make; left alone', { group: s.record.groupId, alias: aliasName, keyArn: target.arn });
    // A key left to the successor or retained keeps its generation alias (KMS deletes it with the key).
    const kept = [...deferred, ...retained.map((g) => g.n)];
    for (const g of [...s.record.generations].reverse()) {
      if (!g.adopted && !kept.includes(g.n)) await d.kms.deleteAlias(generationAlias(s.record.groupId, g.n));
    }
    await s.save((r) => ({ ...r, status: 'destroyed', rotation: undefined }));
  });
}
