/**
 * The sweep of dead Creates. aws-cdk-lib's provider framework answers FAILED
 * for a Create whose function died (killed, timed out) and answers the
 * rollback Delete of it itself, so the lifecycle function never hears of it:
 * the group's entry stays `creating` with a lock nobody releases. Once that
 * lock has lapsed (the lease outlasts the lifecycle function's timeout, so no
 * run of that Create is alive, and CloudFormation never sends the same Create
 * again), the sweep undoes what the Create made (abandon-create.ts) under the
 * group's lock. A later Create of the same group resumes the entry instead, if
 * it comes first: both take the lock, and whoever comes second sees what the
 * first left.
 */
import { abandonCreate, CleanupAuthority } from './abandon-create';
import { Deps } from './context';
import { GroupRecord, isLocked } from './ledger-model';
import { GroupBusyError, Session } from './session';

export interface SweptGroup {
  readonly group: string;
  readonly clean: boolean;
  readonly remaining: string[];
}

/** A Create nobody will finish: `creating`, and no live lock (its run died and its lease passed, or its cleanup stopped half-way). */
export function isDeadCreate(rec: GroupRecord, now: Date): boolean {
  return rec.status === 'creating' && !isLocked(rec, now);
}

/**
 * Sweeps every dead Create of the ledger but `except` (the group of the Create
 * this run serves, which resumes its own entry). A group another run holds is
 * left to the next sweep; a failure of one group does not stop the others.
 */
export async function sweepDeadCreates(d: Deps, except?: string, authority: CleanupAuthority = 'deploy'): Promise<SweptGroup[]> {
  const swept: SweptGroup[] = [];
  for (const groupId of await d.ledger.creatingGroupIds()) {
    if (groupId === except) continue;
    try {
      const rec = await d.ledger.get(groupId);
      if (!rec || !isDeadCreate(rec, d.now())) continue;
      if (d.ledger.acceptedUnsealed(groupId)) {
        // Only an entry sealed by this stack's functions is acted on: a forged one is refused by the Create that binds it.
        d.log.warn('sweep: a creating entry carries no seal of this stack; left alone', { group: groupId, tampering: 'ledger-unsealed' });
        continue;
      }
      swept.push({ group: groupId, ...await sweepGroup(d, groupId, authority) });
    } catch (e) {
      if (e instanceof GroupBusyError) continue;
      d.log.warn('sweep: a dead Create could not be swept; the next sweep tries again', {
        group: groupId, errorName: (e as Error).name, errorMessage: (e as Error).message,
      });
      swept.push({ group: groupId, clean: false, remaining: ['all'] });
    }
  }
  return swept;
}

async function sweepGroup(d: Deps, groupId: string, authority: CleanupAuthority): Promise<{ clean: boolean; remaining: string[] }> {
  const s = await Session.open(d, groupId, 'sweep', 0, async (rec) => {
    if (d.ledger.acceptedUnsealed(groupId)) throw new GroupBusyError(groupId, 'unsealed entry', rec.updatedAt);
  });
  try {
    // The lock was written over exactly the entry read, so it is still the dead Create's.
    if (s.record.status !== 'creating') return { clean: true, remaining: [] };
    d.log.warn('sweep: a Create died without finishing; scheduling deletion of what it made', {
      group: groupId, generation: s.record.rotation?.n, phase: s.record.rotation?.phase, startedAt: s.record.rotation?.startedAt,
    });
    return await abandonCreate(d, s, authority);
  } finally {
    await s.close();
  }
}

/** What the rotation entry point answers a sweep: the groups it found dead, and what is left of each. */
export interface SweepOutcome {
  readonly outcome: 'swept';
  readonly groups: SweptGroup[];
}

/** The per-stack schedule's sweep, run by the rotation function (see docs/consistency.md for who sweeps what). */
export async function scheduledSweep(d: Deps): Promise<SweepOutcome> {
  const groups = await sweepDeadCreates(d, undefined, 'rotation');
  if (groups.length > 0) d.log.info('sweep of dead Creates', { groups });
  return { outcome: 'swept', groups };
}
