/**
 * Phase "promote": the user alias moves to the new generation (is created,
 * for generation 1). The previous generation becomes `retired`; it is fenced a
 * propagation window later, once no request can still resolve the alias to it.
 */
import { Deps, step } from '../context';
import { nextDueDate } from '../due-date';
import { InconsistentGroupError } from '../errors';
import { currentGeneration, generation, GroupRecord, withGeneration } from '../ledger-model';
import { afterWindow } from '../plan';
import { eventually } from '../retry';
import { Session } from '../session';
import { aliasTarget } from './alias-target';
import { mayTakeOverFrom } from '../takeover';
import { applyKeyState } from './apply-key-state';

const FRESH = ['NotFoundException', 'KMSInvalidStateException'];

export async function promotePhase(d: Deps, s: Session): Promise<void> {
  const r = s.record.rotation!;
  const g = generation(s.record, r.n)!;
  const previous = currentGeneration(s.record);
  const aliasName = s.record.settings.aliasName;
  await step(d, 'promote', { group: s.record.groupId, generation: r.n, keyArn: g.keyArn, alias: aliasName, previousKeyArn: previous?.keyArn }, async () => {
    if (previous) {
      await eventually(d, FRESH, () => d.kms.updateAlias(aliasName, g.keyId));
    } else {
      await createUserAlias(d, s.record, g.keyId);
    }
    const now = d.now();
    const nextDueAt = nextDueDate(s.record.settings, g).toISOString();
    // A replacement's first promotion is fenced too: a window later the replaced group's deferred deletions are due.
    const takingOver = !previous && s.record.takeover !== undefined && !s.record.takeover.promotedAt;
    await s.save((rec) => {
      let next: GroupRecord = withGeneration(rec, { ...generation(rec, r.n)!, stage: 'current', activatedAt: now.toISOString() });
      if (previous) next = withGeneration(next, { ...generation(next, previous.n)!, stage: 'retired', retiredAt: now.toISOString() });
      return {
        ...next,
        nextDueAt,
        rotation: previous || takingOver ? { ...rec.rotation!, phase: 'fence', notBefore: afterWindow(rec, now) } : undefined,
        ...(takingOver ? { takeover: { ...rec.takeover!, promotedAt: now.toISOString() } } : {}),
      };
    });
    d.log.info('promoted', { group: s.record.groupId, generation: r.n, keyArn: g.keyArn, previousKeyArn: previous?.keyArn, nextDueAt, reason: r.reason });
  });
  await applyKeyState(d, s, r.n, { full: false });
}

async function createUserAlias(d: Deps, rec: GroupRecord, keyId: string): Promise<void> {
  const aliasName = rec.settings.aliasName;
  if (rec.takeover) return takeAliasOver(d, rec, keyId);
  const created = await eventually(d, FRESH, () => d.kms.createAlias(aliasName, keyId));
  if (created === 'created') return;
  const target = await aliasTarget(d, aliasName, [keyId]);
  if (target?.keyId === keyId) return; // our own CreateAlias, whose answer was lost and retried
  if (target && (rec.generations.some((x) => x.keyId === target.keyId) || await mayTakeOverFrom(d, rec, target.keyId))) {
    await d.kms.updateAlias(aliasName, keyId);
    return;
  }
  throw new InconsistentGroupError(`alias ${aliasName} was created meanwhile and points at ${target?.arn ?? 'a key'} that this key group did not create`);
}

/**
 * A replacement's first promotion moves the alias off the replaced group's key
 * with UpdateAlias: the rotation role may update the user alias, never create it.
 */
async function takeAliasOver(d: Deps, rec: GroupRecord, keyId: string): Promise<void> {
  const aliasName = rec.settings.aliasName;
  const target = await aliasTarget(d, aliasName, [rec.takeover!.keyId, keyId]);
  if (target?.keyId === keyId) return; // this run's own UpdateAlias, whose answer was lost
  if (!target || !await mayTakeOverFrom(d, rec, target.keyId)) {
    throw new InconsistentGroupError(`alias ${aliasName} ${target ? `points at ${target.arn}, which neither this key group nor the group it replaces made` : 'is gone'}; `
      + 'the replacement cannot take it over (see docs/consistency.md, "Replacing a key group")');
  }
  await eventually(d, FRESH, () => d.kms.updateAlias(aliasName, keyId));
}
