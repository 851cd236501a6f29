/**
 * Phase "fence": a propagation window after the alias moved, the previous
 * generation becomes decrypt-only (key policy deny of every way of making new
 * ciphertext) and is labelled `retired`.
 */
import { Deps, step } from '../context';
import { InconsistentGroupError } from '../errors';
import { currentGeneration, generation, withGeneration } from '../ledger-model';
import { eventually } from '../retry';
import { Session } from '../session';
import { completeHandover } from '../takeover';
import { applyKeyState } from './apply-key-state';

export async function fencePhase(d: Deps, s: Session): Promise<void> {
  const r = s.record.rotation!;
  const current = currentGeneration(s.record)!;
  // Every retired generation whose key does not yet carry the fence (a run that died half-way left some).
  const retired = s.record.generations.filter((x) => x.stage === 'retired' && x.deletionScheduledAt === undefined);
  const aliasName = s.record.settings.aliasName;
  await step(d, 'fence', { group: s.record.groupId, generation: r.n, fenced: retired.filter((x) => !x.fencedAt && (!x.adopted || x.adopted.fence)).map((x) => x.keyArn) }, async () => {
    // The alias must be seen on the new generation (KMS reads may lag): fencing the key it resolves to would deny every writer.
    await eventually(d, ['AliasNotMovedYet'], async () => {
      const target = await d.kms.describeKey(aliasName);
      if (target?.keyId !== current.keyId) {
        throw Object.assign(new InconsistentGroupError(`alias ${aliasName} resolves to ${target?.arn ?? 'nothing'}, not to the current generation ${current.keyArn}; refusing to fence`), { name: 'AliasNotMovedYet' });
      }
    });
    for (const g of retired) {
      // An adopted key is fenced only when its owner opted in (AdoptExisting.alias({ fence: true })); it is relabelled either way.
      const fences = !g.adopted || g.adopted.fence;
      if (!g.fencedAt && fences) await s.save((rec) => withGeneration(rec, { ...generation(rec, g.n)!, fencedAt: d.now().toISOString() }));
      await applyKeyState(d, s, g.n, { full: false });
    }
    await completeHandover(d, s.record);
    await s.save((rec) => ({ ...rec, rotation: undefined }));
    d.log.info('rotation complete', { group: s.record.groupId, generation: r.n, keyArn: current.keyArn, reason: r.reason });
  });
}
