/**
 * KMS and DynamoDB calls and wall time of one whole rotation (its three
 * scheduled runs: start, promote a propagation window later, fence a window
 * after that), run by the TypeScript entry points against the local KMS
 * simulator and a local DynamoDB: in an account that holds only the measured
 * key groups, and in one that also holds 10,000 unrelated keys with an alias
 * each. Rotations of the two accounts alternate, so both share the same
 * machine noise.
 *
 * Excluded from the timed window: deploying the groups (which also makes the
 * simulator generate and cache its RSA wrapping key pair, so no rotation pays
 * for RSA key generation), creating the unrelated keys, and the functions'
 * waits (a scheduled run's start offset, backoffs), which move the simulated
 * clock instead of real time.
 *
 * The wall time is local (loopback HTTP, in-process simulator); it is not
 * what a rotation takes against AWS, where each of the calls is a network
 * round trip. The simulator scans all its keys whenever its clock is read,
 * so the 10,000-key time also includes that simulator overhead.
 */
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, GetParametersForImportCommand, KMSClient } from '@aws-sdk/client-kms';
import { interleave } from './interleave';
import { Summary, summarize } from './stats';
import { Log } from '../lambda/rotation/context';
import { createLifecycleHandler, createRotationHandler, HandlerOptions } from '../lambda/rotation/handler';
import { RotationOutcome } from '../lambda/rotation/rotate';
import { KmsSimulator, startKmsSimulator } from '../test/kms-simulator';
import { LocalDynamoDb } from '../test/ledger/local-dynamodb';
import { capturingMetrics } from '../test/rotation/emf-capture';
import { cfnEvent, groupProps, rotateIfDue } from '../test/rotation/fixtures';
import { createSealKeys } from '../test/rotation/seal-keys';

/** The schedule's period: the runs of one rotation are this far apart. */
const SCHEDULE_PERIOD_MS = 10 * 60 * 1000;

/** Operations of the Resource Groups Tagging API (the simulator logs operation names without the service). */
const TAGGING_OPERATIONS: ReadonlySet<string> = new Set(['GetResources']);

const START = new Date('2026-01-01T03:00:00Z');
const INTERVAL_MONTHS = 6;

export interface RotationScenario {
  /** Keys in the account besides the measured groups. */
  readonly otherKeys: number;
  /** KMS calls of each measured rotation (all equal, or the measurement is reported as inconsistent). */
  readonly kmsCalls: number[];
  /** Resource Groups Tagging API calls of each measured rotation. */
  readonly taggingCalls: number[];
  /** DynamoDB (ledger) calls of each measured rotation. */
  readonly ledgerCalls: number[];
  /** Ledger calls per operation of the last measured rotation. */
  readonly ledgerByOperation: Record<string, number>;
  /** KMS calls per operation of the last measured rotation. */
  readonly byOperation: Record<string, number>;
  readonly wallMs: Summary;
  /**
   * One DescribeKey of a group's alias through the SDK, on the same simulator:
   * the cost of one call, the baseline that tells the handler's own time from
   * the simulator's.
   */
  readonly roundTripMs: Summary;
  /** Seconds it took to create the unrelated keys and aliases (not part of any figure). */
  readonly setupSeconds: number;
}

export interface RotationCostResult {
  readonly empty: RotationScenario;
  readonly crowded: RotationScenario;
}

const silent: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Creates `count` ordinary keys (AWS_KMS origin, tagged) with one alias each, `concurrency` requests at a time. */
async function addUnrelatedKeys(kms: KMSClient, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await kms.send(new CreateKeyCommand({
        Description: `unrelated key ${i}`,
        Tags: [{ TagKey: 'team', TagValue: `team-${i % 20}` }, { TagKey: 'purpose', TagValue: 'unrelated' }],
      }));
      await kms.send(new CreateAliasCommand({ AliasName: `alias/unrelated/key-${i}`, TargetKeyId: r.KeyMetadata!.KeyId! }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

interface Account {
  readonly sim: KmsSimulator;
  readonly db: LocalDynamoDb;
  readonly rotate: (aliasName: string, groupId: string) => Promise<RotationOutcome>;
  /** A client that is not the function's, for the round-trip baseline. */
  readonly reader: KMSClient;
  readonly aliases: string[];
  readonly kmsCalls: number[];
  readonly taggingCalls: number[];
  readonly ledgerCalls: number[];
  byOperation?: Record<string, number>;
  ledgerByOperation?: Record<string, number>;
  readonly setupSeconds: number;
}

async function prepareAccount(name: string, groups: number, otherKeys: number): Promise<Account> {
  const sim = await startKmsSimulator({ startTime: START });
  const db = await LocalDynamoDb.start();
  const tableName = await db.createLedgerTable();
  const started = performance.now();
  if (otherKeys > 0) {
    const bulk = sim.client({ maxAttempts: 1 });
    await addUnrelatedKeys(bulk, otherKeys, 32);
    const found = sim.state.keys().length;
    if (found !== otherKeys) {
      throw new Error(`measurement error: created ${otherKeys} unrelated keys but the simulator holds ${found}`);
    }
  }
  const setupSeconds = (performance.now() - started) / 1000;
  const sealKeys = await createSealKeys(sim.client({ maxAttempts: 1 }));

  // The functions' own clients, configured as in the rotation tests.
  const options: HandlerOptions = {
    kms: sim.client({ maxAttempts: 3, retryMode: 'standard' }),
    tagging: sim.taggingClient({ maxAttempts: 3 }),
    dynamodb: db.client(),
    tableName,
    sealKeys,
    now: () => sim.clock.now(),
    // The functions' waits (a scheduled run's start offset of up to a minute, backoffs) move the simulated
    // clock, as in the tests: they are not work, and waiting them out in real time made this stage take
    // about half an hour.
    sleep: (ms) => sim.sleep(ms),
    log: silent,
    events: sim.eventBridge.client({ maxAttempts: 3 }),
    metrics: capturingMetrics([]),
  };
  const lifecycle = createLifecycleHandler(options);
  const rotation = createRotationHandler(options);
  const aliases: string[] = [];
  for (let g = 0; g < groups; g++) {
    const aliasName = `alias/bench/${name}-${g}`;
    // Deploy (generation 1), outside the timed window; the RSA-4096 pair is already cached.
    await lifecycle(cfnEvent('Create', groupProps({ GroupId: `bench-${name}-${g}`, AliasName: aliasName, IntervalMonths: String(INTERVAL_MONTHS) })));
    aliases.push(aliasName);
  }
  // Past the due date of every group: each scheduled run below rotates.
  sim.clock.advanceDays(200);
  // One rotation: the run that starts it, then the schedule's next two runs (promote, fence).
  const rotate = async (aliasName: string, groupId: string): Promise<RotationOutcome> => {
    let last: RotationOutcome | undefined;
    for (let run = 0; run < 3; run++) {
      if (run > 0) sim.clock.advance(SCHEDULE_PERIOD_MS);
      last = await rotation(rotateIfDue(aliasName, groupId));
    }
    return last!;
  };
  return {
    sim,
    db,
    aliases,
    kmsCalls: [],
    taggingCalls: [],
    ledgerCalls: [],
    setupSeconds,
    reader: sim.client({ maxAttempts: 1 }),
    rotate,
  };
}

/** The simulator caches one RSA pair per spec and process: warm it before anything is timed. */
async function warmRsaCache(): Promise<void> {
  const sim = await startKmsSimulator({ startTime: START });
  try {
    const kms = sim.client();
    const key = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    await kms.send(new GetParametersForImportCommand({
      KeyId: key.KeyMetadata!.KeyId!, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_4096',
    }));
  } finally {
    await sim.stop();
  }
}

async function rotateOnce(account: Account, round: number): Promise<number> {
  const aliasName = account.aliases[round];
  if (!aliasName) throw new Error(`measurement error: no group left for rotation ${round + 1} (retries used the spare groups)`);
  const groupId = aliasName.replace('alias/bench/', 'bench-');
  account.sim.calls.reset();
  account.db.commands.length = 0;
  const started = performance.now();
  const outcome = await account.rotate(aliasName, groupId);
  const elapsed = performance.now() - started;
  if (outcome.outcome !== 'completed') {
    throw new Error(`measurement error: the three runs of ${aliasName}'s rotation ended with ${JSON.stringify(outcome)}; expected a completed rotation`);
  }
  account.ledgerCalls.push(account.db.commands.length);
  account.ledgerByOperation = account.db.commands.reduce<Record<string, number>>((m, c) => ({ ...m, [c.replace(/Command$/, '')]: (m[c.replace(/Command$/, '')] ?? 0) + 1 }), {});
  const ops = account.sim.calls.byOperation();
  const kms = Object.entries(ops).filter(([op]) => !TAGGING_OPERATIONS.has(op));
  account.kmsCalls.push(kms.reduce((n, [, c]) => n + c, 0));
  account.taggingCalls.push(Object.entries(ops).filter(([op]) => TAGGING_OPERATIONS.has(op)).reduce((n, [, c]) => n + c, 0));
  account.byOperation = Object.fromEntries(kms);
  return elapsed;
}

async function roundTrip(account: Account): Promise<number> {
  const started = performance.now();
  await account.reader.send(new DescribeKeyCommand({ KeyId: account.aliases[0] }));
  return performance.now() - started;
}

function scenario(account: Account, otherKeys: number, samples: number[], roundTrips: number[]): RotationScenario {
  return {
    otherKeys,
    kmsCalls: account.kmsCalls,
    taggingCalls: account.taggingCalls,
    ledgerCalls: account.ledgerCalls,
    ledgerByOperation: account.ledgerByOperation ?? {},
    byOperation: account.byOperation ?? {},
    wallMs: summarize(samples),
    roundTripMs: summarize(roundTrips),
    setupSeconds: account.setupSeconds,
  };
}

/** Groups deployed beyond the measured ones, for samples measured again after a transient socket error. */
const SPARE_GROUPS = 2;

export async function measureRotationCost(
  runs: number, otherKeys: number, onRetry?: (variant: string, attempt: number, error: unknown) => void,
): Promise<RotationCostResult> {
  await warmRsaCache();
  const warmup = 1;
  const accounts: Account[] = [];
  try {
    // A retried sample (transient socket error) rotates a fresh group: a half-done rotation would count other calls.
    const groups = runs + warmup + SPARE_GROUPS;
    const empty = await prepareAccount('empty', groups, 0);
    accounts.push(empty);
    const crowded = await prepareAccount('crowded', groups, otherKeys);
    accounts.push(crowded);
    const round = { empty: 0, crowded: 0 };
    const samples = await interleave({
      empty: () => rotateOnce(empty, round.empty++),
      crowded: () => rotateOnce(crowded, round.crowded++),
      emptyRoundTrip: () => roundTrip(empty),
      crowdedRoundTrip: () => roundTrip(crowded),
    }, { runs, warmup, onRetry });
    // The warm-up rotation counts calls too; keep only the measured ones.
    empty.kmsCalls.splice(0, warmup);
    empty.taggingCalls.splice(0, warmup);
    crowded.kmsCalls.splice(0, warmup);
    crowded.taggingCalls.splice(0, warmup);
    empty.ledgerCalls.splice(0, warmup);
    crowded.ledgerCalls.splice(0, warmup);
    return {
      empty: scenario(empty, 0, samples.empty, samples.emptyRoundTrip),
      crowded: scenario(crowded, otherKeys, samples.crowded, samples.crowdedRoundTrip),
    };
  } finally {
    for (const account of accounts) {
      await account.sim.stop();
      await account.db.stop();
    }
  }
}
