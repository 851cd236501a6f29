/**
 * Undoing a Create that will not finish: the failed Create itself (before it
 * throws) and the sweep of a Create that died (sweep.ts). Everything the
 * Create made is scheduled for deletion with the shortest window, its aliases
 * removed and an adopted key given back. Each step runs whatever an earlier
 * one did: a key the ledger records is deleted even when the search for an
 * unrecorded one fails. The entry is marked `failed` only when every step
 * succeeded; otherwise it stays `creating` with what remains named in the log,
 * and the next sweep runs the steps again (each is idempotent).
 */
import { adoptedOf, releaseAdopted } from './adopt';
import { generationAlias } from './aliases';
import { Deps } from './context';
import { desiredKeyState } from './key-state';
import { generation, GenerationRecord, liveGenerations, withGeneration } from './ledger-model';
import { aliasTarget } from './phases/alias-target';
import { scheduleGenerationDeletion, scheduleUnrecordedAttemptDeletion } from './phases/discard';
import { Session } from './session';
import { releaseTakeover } from './takeover';

/** A failed generation of a Create is scheduled for deletion with the shortest window: it never held data. */
export const DISCARD_WINDOW_DAYS = 7;

export interface AbandonResult {
  /** Every step succeeded: the entry is `failed` and nothing of the Create is left but keys pending deletion. */
  readonly clean: boolean;
  /** The steps that failed (they run again at the next sweep). */
  readonly remaining: string[];
}

/**
 * Who undoes the Create. The lifecycle function (deploy authority) may delete the user alias and give an
 * adopted key its tags back; the rotation function (the scheduled sweep) may not: it leaves those steps, and
 * the key the user alias points at, to the next lifecycle event of the stack.
 */
export type CleanupAuthority = 'deploy' | 'rotation';

/** The generations the Create made: in a `creating` entry every live one but an adopted key (an earlier incarnation's are discarded or deleted). */
function madeByThisCreate(s: Session): GenerationRecord[] {
  return liveGenerations(s.record).filter((g) => !g.adopted && !g.deletionScheduledAt);
}

export async function abandonCreate(d: Deps, s: Session, authority: CleanupAuthority = 'deploy'): Promise<AbandonResult> {
  const groupId = s.record.groupId;
  const remaining: string[] = [];
  const attempt = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      remaining.push(what);
      d.log.warn('cleanup of a Create that did not finish: a step failed; the next sweep runs it again', {
        group: groupId,
        cleanupStep: what,
        errorName: (e as Error).name,
        errorMessage: (e as Error).message,
        operation: (e as { operation?: string }).operation,
      });
    }
  };
  await attempt('unrecorded-key', () => scheduleUnrecordedAttemptDeletion(d, s, DISCARD_WINDOW_DAYS));
  for (const g of madeByThisCreate(s)) {
    let aliasGone = true;
    // The user alias first: no role may delete a key a user alias points at (docs/security-model.md).
    await attempt(`user-alias of generation ${g.n}`, async () => {
      aliasGone = false;
      const aliasName = s.record.settings.aliasName;
      const target = await aliasTarget(d, aliasName, [g.keyId]);
      if (target?.keyId === g.keyId) {
        if (authority !== 'deploy') throw Object.assign(new Error(`${aliasName} points at generation ${g.n}; only the lifecycle function may delete it`), { name: 'LeftForDeploy' });
        await d.kms.deleteAlias(aliasName);
      }
      aliasGone = true;
    });
    if (aliasGone) await attempt(`key of generation ${g.n}`, () => scheduleGenerationDeletion(d, s, g, DISCARD_WINDOW_DAYS));
    else remaining.push(`key of generation ${g.n}`);
    await attempt(`generation-alias of generation ${g.n}`, () => d.kms.deleteAlias(generationAlias(groupId, g.n)));
    if (generation(s.record, g.n)!.deletionScheduledAt) {
      await attempt(`ledger of generation ${g.n}`, () => s.save((r) => withGeneration(r, { ...generation(r, g.n)!, stage: 'discarded' })));
    }
  }
  const adopted = adoptedOf(s.record);
  if (adopted && authority !== 'deploy') {
    remaining.push('adopted-key (left for the next lifecycle event: only the lifecycle function may untag it)');
  } else if (adopted) {
    // Given back as it was found: never deleted; the labels this Create wrote are removed.
    await attempt('adopted-key', async () => {
      await releaseAdopted(d, adopted, desiredKeyState(s.record, adopted).tags);
      await s.save((r) => withGeneration(r, { ...generation(r, adopted.n)!, stage: 'discarded' }));
    });
  }
  // A replacement that failed: the alias index names the replaced group again.
  await attempt('alias-index', () => releaseTakeover(d, s.record));
  if (remaining.length === 0) await attempt('ledger', () => s.save((r) => ({ ...r, status: 'failed', rotation: undefined })));
  if (remaining.length > 0) {
    d.log.warn('cleanup of a Create that did not finish is incomplete; the entry stays creating for the next sweep', {
      group: groupId, remaining, keysPendingDeletion: s.record.generations.filter((g) => g.deletionScheduledAt).map((g) => g.keyArn),
    });
  } else {
    d.log.info('step abandon-create', { step: 'abandon-create', group: groupId, outcome: 'ok' });
  }
  return { clean: remaining.length === 0, remaining };
}
