/**
 * Retention of retired generations: disable the ones the policy no longer
 * keeps, and (delete-after) schedule the deletion of those that stayed
 * disabled and unused for the quiet period. Every change is recorded in the
 * ledger right after the idempotent KMS call that makes it, so a run that
 * dies in between repeats the call and records it.
 *
 * Also the operator's way back (enable-generation): exempt a disabled
 * generation from retention and enable its key, decrypt-only as before.
 */
import { Deps, isThrottling, step } from '../context';
import { InconsistentGroupError, InvalidRequestError, isKmsError } from '../errors';
import { generation, GenerationRecord, withGeneration } from '../ledger-model';
import { isFenced } from '../policy';
import { retentionWork, usedWithin } from '../retention';
import { eventually } from '../retry';
import { Session } from '../session';
import { retentionOf } from '../settings';
import { applyKeyState } from './apply-key-state';

/** An action is not started with less time left than this. */
const ACTION_BUDGET_MS = 30_000;

export interface RetentionDone {
  readonly disabled: number[];
  readonly deletionScheduled: number[];
  /** Deferred: KMS reported a use within the quiet period. */
  readonly inUse: number[];
}

export async function retentionPhase(d: Deps, s: Session): Promise<RetentionDone> {
  const done: RetentionDone = { disabled: [], deletionScheduled: [], inUse: [] };
  for (const a of retentionWork(s.record, d.now())) {
    if (d.remainingMs() < ACTION_BUDGET_MS) break;
    const g = generation(s.record, a.n)!;
    if (a.kind === 'disable') {
      if (a.checkUsage && await inUse(d, s, g)) {
        done.inUse.push(g.n);
        continue;
      }
      await disable(d, s, g);
      done.disabled.push(g.n);
    } else if (await scheduleDeletion(d, s, g, a.pendingWindowDays)) {
      done.deletionScheduled.push(g.n);
    }
  }
  return done;
}

/** GetKeyLastUsage: a use within the quiet period defers retention (recorded, so the next look waits for the period). */
async function inUse(d: Deps, s: Session, g: GenerationRecord): Promise<boolean> {
  const policy = retentionOf(s.record.settings);
  if (policy.policy !== 'delete-after') return false;
  let usage;
  try {
    usage = await d.kms.lastUsage(g.keyId);
  } catch (e) {
    // Throttled or denied (a policy not yet propagated, or changed): never disable on a check that did not happen.
    if (isThrottling(e) || isKmsError(e, 'AccessDeniedException')) throw e;
    // KMS cannot tell (not available, or not allowed): the disabled wait before deletion is then the only signal.
    d.log.warn('key last usage unavailable; relying on the disabled wait before deletion', {
      group: s.record.groupId, generation: g.n, keyArn: g.keyArn, errorName: (e as Error).name,
    });
    return false;
  }
  if (!usedWithin(usage.at, d.now(), policy.quietDays)) return false;
  const lastUsedAt = usage.at!.toISOString();
  if (lastUsedAt !== g.lastUsedAt) {
    const operation = usage.operation ? { lastUsedOperation: usage.operation } : {};
    await s.save((rec) => withGeneration(rec, { ...generation(rec, g.n)!, lastUsedAt, ...operation }));
  }
  d.log.info('retired generation still in use; retention deferred', { group: s.record.groupId, generation: g.n, keyArn: g.keyArn, lastUsedAt, operation: usage.operation });
  return true;
}

async function disable(d: Deps, s: Session, g: GenerationRecord): Promise<void> {
  await step(d, 'retention-disable', { group: s.record.groupId, generation: g.n, keyArn: g.keyArn }, async () => {
    await d.kms.disableKey(g.keyId);
    await s.save((rec) => withGeneration(rec, { ...generation(rec, g.n)!, disabledAt: d.now().toISOString() }));
    // The `rotation:retention` label says why the key is off.
    await applyKeyState(d, s, g.n, { full: false });
  });
}

/** Only a key KMS shows as Disabled is scheduled: one enabled outside the ledger is treated as exempt. */
async function scheduleDeletion(d: Deps, s: Session, g: GenerationRecord, windowDays: number): Promise<boolean> {
  return step(d, 'retention-schedule-deletion', { group: s.record.groupId, generation: g.n, keyArn: g.keyArn, pendingWindowDays: windowDays }, async () => {
    const key = await d.kms.describeKey(g.keyId);
    if (key?.state === 'Enabled') {
      d.log.warn('a disabled generation was enabled outside enable-generation; exempting it from retention', { group: s.record.groupId, generation: g.n, keyArn: g.keyArn });
      await s.save((rec) => withGeneration(rec, { ...generation(rec, g.n)!, disabledAt: undefined, retentionExemptAt: d.now().toISOString() }));
      await applyKeyState(d, s, g.n, { full: false });
      return false;
    }
    if (key?.state === 'Disabled') {
      const r = await d.kms.scheduleDeletion(g.keyId, windowDays);
      if (r === 'not-found') d.log.warn('key already gone', { keyId: g.keyId });
    } else if (key?.state !== 'PendingDeletion') {
      if (key) throw new InconsistentGroupError(`generation ${g.n} (${g.keyArn}) is ${key.state} in KMS; the ledger says it is disabled; refusing to schedule its deletion`);
      d.log.warn('key already gone', { keyId: g.keyId });
    }
    await s.save((rec) => withGeneration(rec, { ...generation(rec, g.n)!, deletionScheduledAt: d.now().toISOString() }));
    return true;
  });
}

/**
 * enable-generation: exempts a retired generation from retention (recorded
 * first, so no run disables it again), then enables its key. Refuses anything
 * but a fenced retired generation whose key policy still carries the fence:
 * the key comes back decrypt-only, never for encryption.
 */
export async function enableGeneration(d: Deps, s: Session, n: number): Promise<GenerationRecord> {
  const g = generation(s.record, n);
  const group = s.record.groupId;
  if (!g) throw new InvalidRequestError(`key group ${group} has no generation ${n}`);
  if (g.stage !== 'retired' || g.fencedAt === undefined) {
    throw new InvalidRequestError(`generation ${n} of key group ${group} is ${g.stage}${g.stage === 'retired' ? ' but not fenced yet' : ''}; only a fenced retired generation can be enabled again`);
  }
  if (g.deletionScheduledAt) {
    throw new InvalidRequestError(`generation ${n} of key group ${group} is pending deletion since ${g.deletionScheduledAt}; cancel the deletion in KMS first (kms:CancelKeyDeletion), then run this again`);
  }
  await step(d, 'enable-generation', { group, generation: n, keyArn: g.keyArn }, async () => {
    // The fence stays: enabling gives decryption back, never encryption.
    const policy = await eventually(d, ['NotFoundException'], () => d.kms.getPolicy(g.keyId));
    if (!isFenced(policy)) {
      throw new InconsistentGroupError(`generation ${n} (${g.keyArn}) lacks the decrypt-only fence in its key policy; refusing to enable it (a stack update restores the fence)`);
    }
    const now = d.now().toISOString();
    if (!g.retentionExemptAt) await s.save((rec) => withGeneration(rec, { ...generation(rec, n)!, retentionExemptAt: now }));
    try {
      await d.kms.enableKey(g.keyId);
    } catch (e) {
      if (isKmsError(e, 'KMSInvalidStateException')) throw new InconsistentGroupError(`generation ${n} (${g.keyArn}) cannot be enabled in its key state: ${(e as Error).message}`);
      throw e;
    }
    await s.save((rec) => withGeneration(rec, { ...generation(rec, n)!, disabledAt: undefined, reenabledAt: now }));
  });
  await applyKeyState(d, s, n, { full: false });
  return generation(s.record, n)!;
}
