/**
 * A fleet: N key groups in one account, due the same simulated day, every
 * group's schedule firing as the construct configures it (every 10 minutes,
 * at the same minute for groups with the same settings), run by the
 * TypeScript entry points with the production client settings against the
 * simulator with KMS's default request quotas in real time.
 *
 * The quota floor is N / 1 s: GetParametersForImport, once per rotation,
 * allows 1 request per second per account. The figure compared with it is the
 * real time from the first scheduled run until every group's new generation
 * is made, imported and tested (the quota-bound part). Promotion and the fence
 * follow at the next runs, a propagation window apart by design; their real
 * time (bound by UpdateAlias 5/s, PutKeyPolicy 15/s, TagResource 10/s) and the
 * simulated end-to-end time are reported too.
 *
 * Deploying the fleet is set-up: the quotas are paused for it.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { retryTransient } from './transient';
import { Log } from '../lambda/rotation/context';
import { createLifecycleHandler, createRotationHandler, HandlerOptions } from '../lambda/rotation/handler';
import { Ledger } from '../lambda/rotation/ledger';
import { RotationOutcome } from '../lambda/rotation/rotate';
import { startKmsSimulator } from '../test/kms-simulator';
import { LocalDynamoDb } from '../test/ledger/local-dynamodb';
import { capturingMetrics } from '../test/rotation/emf-capture';
import { cfnEvent, groupProps, rotateIfDue } from '../test/rotation/fixtures';
import { createSealKeys } from '../test/rotation/seal-keys';

const SCHEDULE_PERIOD_MS = 10 * 60 * 1000;
/** The rotation function's timeout (Lambda stops a run after it). */
const RUN_BUDGET_MS = 15 * 60 * 1000;
const GET_PARAMETERS_FOR_IMPORT_PER_SECOND = 1;
/** Scheduled runs to wait at most for the fleet to finish (then the rest counts as overdue). */
const MAX_RUNS = 12;

export interface FleetResult {
  readonly groups: number;
  readonly quotaFloorSeconds: number;
  /** Real seconds from the first scheduled run until every group's new generation was tested. */
  readonly importSeconds: number;
  readonly ratioToFloor: number;
  /** Real seconds the runs took, per scheduled run (index 0 = the first). */
  readonly runSeconds: number[];
  /** Simulated minutes from the first scheduled run until every rotation was complete (fenced). */
  readonly endToEndSimulatedMinutes: number;
  readonly invocations: number;
  readonly throttledCalls: number;
  readonly throttledByOperation: Record<string, number>;
  /** Runs that ended because the quota was spent (continued by the next run). */
  readonly runsEndedThrottled: number;
  /** Runs that failed (Lambda would retry them, then send them to the dead-letter queue). */
  readonly deadLetters: number;
  /** Keys of the fleet's groups that no ledger entry records. */
  readonly orphans: number;
  /** Groups whose rotation was not complete when the measurement stopped. */
  readonly overdue: number;
  readonly deploySeconds: number;
}

const silent: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const emf: string[] = [];

export async function measureFleet(groups: number, progress: (line: string) => void = () => undefined): Promise<FleetResult> {
  // Real-time quotas: the fleet's throughput is measured in real seconds.
  const sim = await startKmsSimulator({ startTime: new Date('2026-01-01T03:00:00Z'), quotas: 'default', quotaClock: 'real' });
  const db = await LocalDynamoDb.start();
  try {
    const tableName = await db.createLedgerTable();
    const sealKeys = await createSealKeys(sim.client({ maxAttempts: 1 }));
    // What each function instance uses in Lambda (handler.ts): its own clients, adaptive retries, 8 attempts for KMS.
    // One instance per group, as Lambda runs concurrent invocations in separate instances (the adaptive
    // retry mode's client-side rate limiter is per client, so sharing one would pace the whole fleet together).
    const options = (): HandlerOptions => ({
      kms: sim.client({ maxAttempts: 8, retryMode: 'adaptive' }) as KMSClient,
      once: sim.client({ maxAttempts: 1 }) as KMSClient,
      tagging: sim.taggingClient({ maxAttempts: 5, retryMode: 'adaptive' }) as ResourceGroupsTaggingAPIClient,
      dynamodb: db.client({ maxAttempts: 5 }),
      tableName,
      sealKeys,
      now: () => sim.clock.now(),
      log: silent,
      // The simulator's bus, and the metrics lines kept out of the benchmark's output (as a log group would).
      events: sim.eventBridge.client({ maxAttempts: 3 }),
      metrics: capturingMetrics(emf),
    });
    const lifecycle = createLifecycleHandler(options());
    const instances = new Map<string, ReturnType<typeof createRotationHandler>>();
    const rotation = (groupId: string) => instances.get(groupId) ?? instances.set(groupId, createRotationHandler(options())).get(groupId)!;
    const ids = Array.from({ length: groups }, (_, i) => ({ groupId: `fleet-${i}`, aliasName: `alias/fleet/${i}` }));

    sim.quotas.setPaused(true);
    const deployStarted = performance.now();
    // A Create that met a transient socket error is sent again, as CloudFormation's provider would retry it: the
    // same request id, so the retry takes over the lock its first try may have left and resumes the group.
    await inBatches(ids, 25, (g) => retryTransient(
      () => lifecycle(cfnEvent('Create', groupProps({ GroupId: g.groupId, AliasName: g.aliasName, IntervalMonths: '6' })), { awsRequestId: `deploy-${g.groupId}` }),
      { onRetry: (attempt, e) => progress(`deploy of ${g.groupId}: transient ${describe(e)}; attempt ${attempt + 1}`) },
    ));
    const deploySeconds = (performance.now() - deployStarted) / 1000;
    sim.quotas.setPaused(false);
    progress(`deployed ${groups} groups in ${deploySeconds.toFixed(1)} s`);

    // Six months on, the first run of the configured hour: every group is due.
    sim.clock.set(new Date('2026-07-01T03:00:00Z'));
    const throttledBefore = sim.quotas.throttled();
    const runSeconds: number[] = [];
    let invocations = 0;
    let deadLetters = 0;
    let runsEndedThrottled = 0;
    let importSeconds = NaN;
    let endToEndSimulatedMinutes = NaN;
    const started = performance.now();
    const tested = new Set<string>();
    const completed = new Set<string>();
    for (let run = 0; run < MAX_RUNS && completed.size < groups; run++) {
      if (run > 0) sim.clock.advance(SCHEDULE_PERIOD_MS);
      const runStarted = performance.now();
      await Promise.all(ids.map(async (g) => {
        if (completed.has(g.groupId)) return;
        invocations += 1;
        const context = { awsRequestId: `${g.groupId}-${run}`, getRemainingTimeInMillis: () => RUN_BUDGET_MS - (performance.now() - runStarted) };
        let outcome: RotationOutcome;
        try {
          outcome = await rotation(g.groupId)(rotateIfDue(g.aliasName, g.groupId), context);
        } catch {
          deadLetters += 1;
          return;
        }
        if (outcome.throttled) runsEndedThrottled += 1;
        if (outcome.phasesDone.includes('test')) {
          tested.add(g.groupId);
          if (tested.size === groups) importSeconds = (performance.now() - started) / 1000;
        }
        if (outcome.outcome === 'completed') completed.add(g.groupId);
      }));
      runSeconds.push((performance.now() - runStarted) / 1000);
      progress(`run ${run + 1}: ${tested.size} tested, ${completed.size} complete, ${runSeconds[run].toFixed(1)} s`);
      if (completed.size === groups) endToEndSimulatedMinutes = (run * SCHEDULE_PERIOD_MS) / 60_000;
    }
    const ledger = new Ledger(db.client(), tableName);
    const recorded = new Set<string>();
    for (const g of ids) for (const x of (await ledger.get(g.groupId))?.generations ?? []) recorded.add(x.keyId);
    const orphans = sim.state.keys().filter((k) => k.tags['rotation:group']?.startsWith('fleet-') && !recorded.has(k.id)).length;
    const throttledByOperation = Object.fromEntries(['GetParametersForImport', 'CreateKey', 'CreateAlias', 'UpdateAlias', 'TagResource', 'UntagResource', 'PutKeyPolicy', 'ImportKeyMaterial']
      .map((op) => [op, sim.quotas.throttled(op)]).filter(([, n]) => (n as number) > 0));
    const quotaFloorSeconds = groups / GET_PARAMETERS_FOR_IMPORT_PER_SECOND;
    return {
      groups,
      quotaFloorSeconds,
      importSeconds,
      ratioToFloor: importSeconds / quotaFloorSeconds,
      runSeconds,
      endToEndSimulatedMinutes,
      invocations,
      throttledCalls: sim.quotas.throttled() - throttledBefore,
      throttledByOperation,
      runsEndedThrottled,
      deadLetters,
      orphans,
      overdue: groups - completed.size,
      deploySeconds,
    };
  } finally {
    await sim.stop();
    await db.stop();
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}
