/**
 * A rotation run as the rotation entry point reports it: the run itself
 * (rotate.ts), then its metrics for the group (also when it throws), the
 * event of a rotation it completed, and exactly one ERROR line for a failure
 * no step has logged.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Deps, isDeferred, step } from './context';
import { emitGroupMetrics } from './emf-metrics';
import { putRotationEvent } from './event-bus';
import { observeLog } from './observed-log';
import { RotationRequest } from './requests';
import { rotateGroup, RotationOutcome } from './rotate';
import { announces, rotationEventId, rotationEventOf } from './rotation-event';
import { countPoints, gaugePoints, MetricPoint } from './telemetry';

export interface Reporting {
  /** A fresh Metrics per run: concurrent runs in one process never mix their dimensions. */
  readonly metrics: () => Metrics;
  readonly events: EventBridgeClient;
  /** The bus of the rotation events (name or ARN); undefined: the account's default bus. */
  readonly eventBusName?: string;
}

export async function reportedRotation(d: Deps, req: RotationRequest, reporting: Reporting): Promise<RotationOutcome> {
  const observed = observeLog(d.log);
  const run: Deps = { ...d, log: observed.log };
  let result;
  try {
    result = await rotateGroup(run, req);
  } catch (e) {
    logFailure(d, req, e);
    const groupId = req.groupId ?? await groupOfAlias(d, req.aliasName);
    if (groupId) {
      const counts = countPoints({ completedRotation: false, failed: true, tamperingReports: observed.tamperingReports(), emergencyRefused: false });
      emit(d, reporting, groupId, req.aliasName, counts);
    }
    throw e;
  }
  const rec = result.record;
  let announced = true;
  // The rotation away from an adopted key puts no event, as the Create of generation 1 puts none (see announces).
  if (result.completed && announces(rec, result.completed)) {
    // After the ledger recorded the completion (and the lock was released): a consumer never hears of a
    // rotation the ledger does not show. A failure here is logged and counted, and the run does not throw:
    // the rotation is done, and a retried run would find nothing to announce.
    const completed = result.completed;
    announced = await step(run, 'announce', { group: rec.groupId, generation: completed.n, eventId: rotationEventId(rec.groupId, completed.n) },
      () => putRotationEvent(reporting.events, rotationEventOf(rec, completed), reporting.eventBusName)).then(() => true, () => false);
  }
  emit(d, reporting, rec.groupId, rec.settings.aliasName, [
    // A failed re-import does not throw (the gauges must go on, for the expiry alarm) but counts as a failed run.
    ...countPoints({
      completedRotation: result.completed !== undefined,
      failed: !announced || (result.outcome.reimport?.failed.length ?? 0) > 0,
      tamperingReports: observed.tamperingReports(),
      emergencyRefused: result.refused !== undefined,
    }),
    ...gaugePoints(rec, d.now()),
  ]);
  return result.outcome;
}

/** One ERROR line for a failure that no step logged as an error (a step logs throttling and outwaited staleness as warnings). */
function logFailure(d: Deps, req: RotationRequest, e: unknown): void {
  if ((e as { logged?: boolean }).logged && !isDeferred(e)) return;
  d.log.error('rotation run failed', {
    step: 'run',
    alias: req.aliasName,
    group: req.groupId,
    operation: (e as { operation?: string }).operation,
    errorName: e instanceof Error ? e.name : 'Error',
    errorMessage: e instanceof Error ? e.message : String(e),
    tampering: (e as { tampering?: string }).tampering,
  });
  if (typeof e === 'object' && e !== null) Object.assign(e, { logged: true });
}

/** The group of an emergency request that named only the alias, for its failure metric (best effort). */
async function groupOfAlias(d: Deps, aliasName: string): Promise<string | undefined> {
  try {
    return await d.ledger.groupOfAlias(aliasName);
  } catch {
    return undefined;
  }
}

/** Metrics never fail a run. */
function emit(d: Deps, reporting: Reporting, groupId: string, aliasName: string, points: MetricPoint[]): void {
  try {
    emitGroupMetrics(reporting.metrics(), groupId, aliasName, points);
  } catch (e) {
    d.log.warn('metrics not emitted', { group: groupId, errorName: e instanceof Error ? e.name : 'Error', errorMessage: e instanceof Error ? e.message : String(e) });
  }
}
