/**
 * Scheduled (`rotate-if-due`) and emergency (`rotate-now`) runs: decide from
 * the ledger, then do every phase that is due under the group's lock. A run
 * never sleeps through a propagation window; a later run continues.
 */
import { auditLabels, dueDateOf, readCurrentKey } from './audit';
import { Deps, isThrottling, step } from './context';
import { alreadyQueued, EmergencyRefusal, emergencyRefusal, rateLimited, withEmergencyStart } from './emergency-limit';
import { InvalidRequestError } from './errors';
import { assertBelowGenerationCap } from './generation-cap';
import { currentGeneration, GroupRecord, highestGeneration, Phase } from './ledger-model';
import { createPhase } from './phases/create';
import { fencePhase } from './phases/fence';
import { importPhase } from './phases/import';
import { promotePhase } from './phases/promote';
import { ReimportDone, reimportPhase } from './phases/reimport';
import { RetentionDone, retentionPhase } from './phases/retention';
import { testPhase } from './phases/test';
import { nextWork } from './plan';
import { manualReimportWatch, reimportWork } from './reimport';
import { RotationRequest } from './requests';
import { retentionWork } from './retention';
import { isOutwaited } from './retry';
import { CompletedRotation } from './rotation-event';
import { GroupBusyError, Session } from './session';
import { startOffsetSeconds } from './start-offset';

/**
 * `started`: a new generation is being made (promotion and fence follow at later runs).
 * `in-progress`: a rotation is under way; nothing was due in this run (or it was joined).
 * `queued`: another run holds the group, or the rotation under way already moved the alias; the emergency rotation
 * is recorded and starts after it.
 * `promoted`: the alias moved to a new generation in this run. `completed`: the previous generation was fenced.
 * `refused`: the emergency rotation was refused by the abuse limit (see `refusal`); nothing was started for it.
 * `generation-enabled`: an operator's enable-generation brought back a retired generation (see `enabled`); nothing rotated.
 */
export type RotationOutcomeKind = 'not-due' | 'started' | 'in-progress' | 'queued' | 'promoted' | 'completed' | 'refused' | 'generation-enabled';

export interface RotationOutcome {
  readonly outcome: RotationOutcomeKind;
  readonly group: string;
  /** The current generation, or the one being rotated in when a rotation is under way. */
  readonly generation: number;
  readonly keyArn?: string;
  readonly previousKeyArn?: string;
  /** The phase the rotation under way waits in, and from when it may run. */
  readonly phase?: Phase;
  readonly nextPhaseAt?: string;
  /**
   * Outcome `queued` behind a rotation that has moved the alias: the earliest time the emergency rotation starts
   * (its fence's time; the first scheduled run after it fences and starts the emergency rotation).
   */
  readonly startsAt?: string;
  readonly nextDueAt?: string;
  readonly phasesDone: Phase[];
  readonly busy?: boolean;
  /** The run stopped because the account's request quota was spent; the next run continues. */
  readonly throttled?: boolean;
  /** The run stopped because KMS still showed the state from before this rotation's own writes when its time ran out; the next run continues. */
  readonly stale?: boolean;
  /** What the group's retention policy did in this run (only when it did something). */
  readonly retention?: RetentionDone;
  /** The expiring material this run imported again, and what failed (only when it tried). */
  readonly reimport?: ReimportDone;
  /** Why an emergency rotation was refused (outcome `refused`), and when the next one is allowed. */
  readonly refusal?: EmergencyRefusal;
  /** The generation enable-generation brought back (outcome `generation-enabled`). */
  readonly enabled?: EnabledGeneration;
}

export interface EnabledGeneration {
  readonly generation: number;
  readonly keyArn: string;
  readonly stage: string;
  readonly fenced: boolean;
  readonly retentionExemptAt?: string;
  readonly reenabledAt?: string;
}

/** What a run ended with, for the entry point's metrics and event. */
export interface RotationRun {
  readonly outcome: RotationOutcome;
  /** The group's ledger record as this run left it (or read it, when it changed nothing). */
  readonly record: GroupRecord;
  /** The rotation this run completed (fenced), if any; the record no longer holds its reason. */
  readonly completed?: CompletedRotation;
  /** An emergency rotation this run refused (asked for in this run, or queued earlier). */
  readonly refused?: EmergencyRefusal;
}

/** A phase is not started with less time left than this. */
const PHASE_BUDGET_MS = 45_000;

const PHASES: Record<Phase, (d: Deps, s: Session) => Promise<void>> = {
  create: createPhase,
  import: importPhase,
  test: testPhase,
  promote: promotePhase,
  fence: fencePhase,
};

async function groupOf(d: Deps, req: RotationRequest): Promise<GroupRecord> {
  const groupId = req.groupId ?? await d.ledger.groupOfAlias(req.aliasName);
  const rec = groupId ? await d.ledger.get(groupId) : undefined;
  if (!rec) throw new InvalidRequestError(`no key group with alias ${req.aliasName}${req.groupId ? ` and group id ${req.groupId}` : ''} is in the ledger; deploy it first (or recover the ledger, see docs/consistency.md)`);
  if (rec.settings.aliasName !== req.aliasName) throw new InvalidRequestError(`key group ${rec.groupId} has alias ${rec.settings.aliasName}, not ${req.aliasName}`);
  if (rec.status !== 'active') throw new InvalidRequestError(`key group ${rec.groupId} is ${rec.status}; only an active group rotates`);
  // A group replacing another (takeover.ts) has none until its first promotion, which its rotation is under way to make.
  if (!currentGeneration(rec) && !(rec.takeover && rec.rotation)) throw new InvalidRequestError(`key group ${rec.groupId} has no current generation; only a deployed group rotates`);
  return rec;
}

export async function rotate(d: Deps, req: RotationRequest): Promise<RotationOutcome> {
  return (await rotateGroup(d, req)).outcome;
}

export async function rotateGroup(d: Deps, req: RotationRequest): Promise<RotationRun> {
  const rec = await step(d, 'discover', { alias: req.aliasName }, () => groupOf(d, req));
  if (req.force) {
    // Before the lock and any write: a refused request changes nothing.
    const refusal = emergencyRefusal(rec, d.now());
    if (refusal) {
      warnRefused(d, rec, refusal);
      return { outcome: { ...outcomeOf(rec, 'refused', []), refusal }, record: rec, refused: refusal };
    }
  }
  // When this run began: a scheduled rotation counts from here (its start offset and waits do not shift due dates).
  const runStartedAt = d.now().toISOString();
  const current = currentGeneration(rec);
  let dueAt = current ? dueDateOf(d, rec, await readCurrentKey(d, rec, current)) : undefined;
  const force = req.force || rec.emergencyRequestedAt !== undefined;
  const work = nextWork(rec, d.now(), dueAt, force);
  const idle = work.kind === 'idle';
  if (idle && current) {
    await auditLabels(d, rec, current);
    d.log.info('not due', { group: rec.groupId, generation: current.n, keyArn: current.keyArn, nextDueAt: dueAt?.toISOString() });
    // Retention and re-import are decided from the ledger alone: a run with nothing due takes no lock.
    if (retentionWork(rec, d.now()).length === 0 && !reimportDue(rec, d.now())) return { outcome: outcomeOf(rec, 'not-due', []), record: rec };
  }
  if (work.kind === 'wait' && !force) return { outcome: outcomeOf(rec, 'in-progress', []), record: rec };
  if (work.kind === 'start' && work.reason === 'scheduled') {
    // Spread a fleet due together over the minute (see start-offset.ts); emergencies start at once.
    const offset = startOffsetSeconds(rec.groupId) * 1000;
    if (d.remainingMs() - offset > PHASE_BUDGET_MS * 2) await d.sleep(offset);
  }

  let s: Session;
  try {
    s = await Session.open(d, rec.groupId, force ? 'emergency rotation' : idle ? 'maintenance' : 'scheduled rotation');
  } catch (e) {
    if (!(e instanceof GroupBusyError)) throw e;
    if (idle) return { outcome: { ...outcomeOf(rec, 'not-due', []), busy: true }, record: rec };
    if (!req.force) {
      d.log.info('another run holds the group; leaving it alone', { group: rec.groupId });
      return { outcome: { ...outcomeOf(rec, 'in-progress', []), busy: true }, record: rec };
    }
    const queue = (r: GroupRecord): GroupRecord => ({ ...r, emergencyRequestedAt: r.emergencyRequestedAt ?? d.now().toISOString() });
    const queued = await d.ledger.update(rec.groupId, queue, d.now, { runId: d.runId });
    d.log.info('another run holds the group; the emergency rotation is queued for it', { group: rec.groupId, lock: rec.lock?.purpose });
    return { outcome: { ...outcomeOf(queued, 'queued', []), ...queuedStart(queued), busy: true }, record: queued };
  }
  // The phases' waits renew the lock, so a long one (a fleet's queued imports) never outlasts its lease.
  const w = s.renewing(d);
  const done: Phase[] = [];
  let started = false;
  let throttled = false;
  let stale = false;
  let completed: CompletedRotation | undefined;
  let retention: RetentionDone | undefined;
  let reimport: ReimportDone | undefined;
  let queuedNow = false;
  let refused: EmergencyRefusal | undefined;
  const refuse = async (refusal: EmergencyRefusal) => {
    refused = refusal;
    warnRefused(d, s.record, refusal);
    if (s.record.emergencyRequestedAt !== undefined) await s.save((x) => ({ ...x, emergencyRequestedAt: undefined }));
  };
  try {
    let emergency = force;
    for (;;) {
      const r = s.record.rotation;
      if (emergency && r) {
        emergency = false;
        if (r.phase !== 'fence') {
          // Joins the rotation under way: it has not moved the alias yet, so no key is made for the request.
          await s.save((x) => ({ ...x, emergencyRequestedAt: undefined, rotation: { ...x.rotation!, reason: 'emergency' } }));
        } else {
          // It already moved the alias: another rotation right after it, at most one, within the limit.
          const refusal = alreadyQueued({ ...s.record, emergencyRequestedAt: undefined }) ?? rateLimited(s.record, d.now());
          if (refusal) {
            await refuse(refusal);
          } else {
            await s.save((x) => ({ ...x, emergencyRequestedAt: undefined, rotation: { ...x.rotation!, followUp: 'emergency' } }));
            queuedNow = true;
          }
        }
      }
      const next = nextWork(s.record, d.now(), dueAt, emergency);
      if (next.kind === 'start' && next.reason === 'emergency') {
        // Checked again under the lock, on the record as it is now: the limit holds for queued requests too.
        const refusal = rateLimited(s.record, d.now());
        if (refusal) {
          emergency = false;
          await refuse(refusal);
          continue;
        }
      }
      if (next.kind === 'start') {
        assertBelowGenerationCap(s.record);
        emergency = false;
        started = true;
        dueAt = undefined;
        const n = highestGeneration(s.record) + 1;
        const startedAt = next.reason === 'scheduled' ? runStartedAt : d.now().toISOString();
        await s.save((x) => ({
          ...x,
          emergencyRequestedAt: undefined,
          rotation: { n, reason: next.reason, phase: 'create', startedAt },
          ...(next.reason === 'emergency' ? { emergencyStarts: withEmergencyStart(x, d.now(), startedAt) } : {}),
        }));
        d.log.info('rotation started', { group: s.record.groupId, generation: n, reason: next.reason });
        continue;
      }
      if (next.kind !== 'phase' || d.remainingMs() < PHASE_BUDGET_MS) break;
      const followUp = s.record.rotation?.followUp === 'emergency';
      const rotating = s.record.rotation;
      try {
        await PHASES[next.phase](w, s);
      } catch (e) {
        if (isOutwaited(e)) {
          // KMS has not caught up with this rotation's own writes within the time this run could wait
          // (docs/consistency.md): as with throttling, the phase stays and a later run continues it.
          stale = true;
          d.log.warn('KMS still answers from before this rotation\'s writes; the next scheduled run continues', {
            group: s.record.groupId, phase: next.phase, generation: s.record.rotation?.n, waitedMs: (e as { waitedMs?: number }).waitedMs,
          });
          break;
        }
        if (!isThrottling(e)) throw e;
        // The account's request quota is spent (a fleet rotating together): the phase stays where it is
        // in the ledger and the next scheduled run continues it. Not a failure: no retry, no dead letter.
        throttled = true;
        d.log.warn('request quota exhausted; the next scheduled run continues', { group: s.record.groupId, phase: next.phase, generation: s.record.rotation?.n });
        break;
      }
      done.push(next.phase);
      if (next.phase === 'fence' && rotating) completed = { n: rotating.n, reason: rotating.reason };
      if (next.phase === 'fence' && followUp) emergency = true;
    }
    // After a completed rotation, or when something is due: the policy as the ledger holds it now.
    if (!throttled && !stale && !s.record.rotation && d.remainingMs() >= PHASE_BUDGET_MS && retentionWork(s.record, d.now()).length > 0) {
      try {
        retention = await retentionPhase(w, s);
      } catch (e) {
        if (isOutwaited(e)) {
          stale = true;
          d.log.warn('KMS still answers stale during retention; the next scheduled run continues', { group: s.record.groupId });
        } else {
          if (!isThrottling(e)) throw e;
          throttled = true;
          d.log.warn('request quota exhausted during retention; the next scheduled run continues', { group: s.record.groupId });
        }
      }
    }
    // Also while a rotation is under way: expiring material does not wait for it.
    if (!throttled && !stale && d.remainingMs() >= PHASE_BUDGET_MS && reimportDue(s.record, d.now())) {
      reimport = await reimportPhase(w, s);
      if (reimport.throttled) {
        throttled = true;
        d.log.warn('request quota exhausted during re-import; the next scheduled run continues', { group: s.record.groupId });
      }
    }
  } finally {
    await s.close();
  }
  const refusal = req.force && !started ? refused : undefined;
  const kind: RotationOutcomeKind = refusal ? 'refused'
    : done.includes('fence') && !s.record.rotation ? 'completed'
      : done.includes('promote') ? 'promoted'
        : started ? 'started' : queuedNow ? 'queued' : idle && done.length === 0 ? 'not-due' : 'in-progress';
  const acted = retention && (retention.disabled.length + retention.deletionScheduled.length + retention.inUse.length > 0);
  const tried = reimport && (reimport.reimported.length + reimport.failed.length + (reimport.observed?.length ?? 0) > 0);
  return {
    outcome: {
      ...outcomeOf(s.record, kind, done),
      ...(kind === 'queued' ? queuedStart(s.record) : {}),
      ...(throttled ? { throttled } : {}),
      ...(stale ? { stale } : {}),
      ...(acted ? { retention } : {}),
      ...(tried ? { reimport } : {}),
      ...(refusal ? { refusal } : {}),
    },
    record: s.record,
    completed,
    ...(refused ? { refused } : {}),
  };
}

/** One WARN line: the system is fine, an operator asked for more than the limit allows. */
function warnRefused(d: Deps, rec: GroupRecord, refusal: EmergencyRefusal): void {
  d.log.warn('emergency rotation refused', {
    group: rec.groupId,
    alias: rec.settings.aliasName,
    reason: refusal.reason,
    limit: refusal.limit,
    ...(refusal.nextAllowedAt ? { nextAllowedAt: refusal.nextAllowedAt } : {}),
    detail: refusal.message,
  });
}

/** Expiring material to import again, or (escrowed material) to look for in KMS. */
function reimportDue(rec: GroupRecord, now: Date): boolean {
  return reimportWork(rec, now).length > 0 || manualReimportWatch(rec, now).length > 0;
}

/** When an emergency rotation queued behind the rotation under way can start: once that one is fenced. */
function queuedStart(rec: GroupRecord): { startsAt?: string } {
  const r = rec.rotation;
  return r?.phase === 'fence' && r.notBefore ? { startsAt: r.notBefore } : {};
}

function outcomeOf(rec: GroupRecord, outcome: RotationOutcomeKind, phasesDone: Phase[]): RotationOutcome {
  const current = currentGeneration(rec);
  const r = rec.rotation;
  const previous = rec.generations.filter((g) => g.stage === 'retired' && current && g.n < current.n).pop();
  return {
    outcome,
    group: rec.groupId,
    generation: r && r.phase !== 'fence' ? r.n : current?.n ?? 0,
    keyArn: current?.keyArn,
    previousKeyArn: phasesDone.includes('promote') || phasesDone.includes('fence') ? previous?.keyArn : undefined,
    phase: r?.phase,
    nextPhaseAt: r?.notBefore,
    nextDueAt: rec.nextDueAt,
    phasesDone,
  };
}
