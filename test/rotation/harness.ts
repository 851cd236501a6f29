/**
 * Runs the lifecycle and rotation entry points against the KMS simulator and a
 * local DynamoDB through the real SDK clients, with the simulator's clock,
 * and captures every log line. The functions' backoff sleeps move the
 * simulated clock, so retries see time pass.
 */
import { DecryptCommand, EncryptCommand, KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { CallBudget } from './dying';
import { capturingMetrics } from './emf-capture';
import { cfnEvent, groupProps, rotateIfDue } from './fixtures';
import { createSealKeys, SealKeyPolicies } from './seal-keys';
import { Log } from '../../lambda/rotation/context';
import { createLifecycleHandler, createRotationHandler, createSweepHandler, HandlerOptions } from '../../lambda/rotation/handler';
import { Ledger } from '../../lambda/rotation/ledger';
import { GroupRecord } from '../../lambda/rotation/ledger-model';
import { CustomResourceResult } from '../../lambda/rotation/lifecycle';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { SealGateway, SealKeys } from '../../lambda/rotation/seal-gateway';
import { SweepOutcome } from '../../lambda/rotation/sweep';
import { TAG } from '../../lambda/rotation/tags';
import { KmsSimulator, KmsSimulatorOptions, MS_PER_HOUR, startKmsSimulator } from '../kms-simulator';
import { LocalDynamoDb, LocalDynamoDbOptions } from '../ledger/local-dynamodb';

export const REGION = 'us-east-1';
/** The simulator's own test credentials (an all-powerful admin when authorization is on). */
export const SIMULATOR_CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'simulator-secret-access-key' };
export const SCHEDULE_PERIOD_MS = 10 * 60 * 1000;

export interface LogLine { level: 'info' | 'warn' | 'error'; message: string; attributes: Record<string, unknown> }

export class CapturingLog implements Log {
  readonly lines: LogLine[] = [];
  info(message: string, attributes: Record<string, unknown> = {}) { this.lines.push({ level: 'info', message, attributes }); }
  warn(message: string, attributes: Record<string, unknown> = {}) { this.lines.push({ level: 'warn', message, attributes }); }
  error(message: string, attributes: Record<string, unknown> = {}) { this.lines.push({ level: 'error', message, attributes }); }
  errors(): LogLine[] { return this.lines.filter((l) => l.level === 'error'); }
  text(): string { return this.lines.map((l) => JSON.stringify(l)).join('\n'); }
}

export interface HarnessOptions {
  /** SDK attempts per KMS call; 1 makes an injected fault final (a function that dies). */
  readonly maxAttempts?: number;
  readonly leaseMs?: number;
  /** Credentials of each function's KMS clients (with the simulator's authorization on: its role's access key). */
  readonly credentials?: { readonly lifecycle: Credentials; readonly rotation: Credentials };
  /** Extra KMS client configuration (retry strategy, middleware). */
  readonly kmsConfig?: Partial<KMSClientConfig>;
  /** Milliseconds the function has left (Lambda's remaining time). */
  readonly remainingMs?: number;
  /** The function dies after this many AWS calls (see dying.ts). */
  readonly budget?: CallBudget;
  /** Makes each rotation run's Metrics (default: Powertools' own, writing EMF lines to stdout). */
  readonly metrics?: HandlerOptions['metrics'];
  /** A Lambda Invoke endpoint (lambda-endpoint.ts) for the functions' Lambda clients, signed with each function's credentials. */
  readonly lambdaEndpoint?: string;
  /** The longest a material provider may take (HandlerOptions.providerTimeoutMs). */
  readonly providerTimeoutMs?: number;
  /** The lifecycle function's own stack: CloudFormation events of another are refused (HandlerOptions.stackId). */
  readonly stackId?: string;
  /** An S3 endpoint (test/kms-simulator/s3.ts) for the functions' escrow writes, signed with each function's credentials. */
  readonly s3Endpoint?: string;
  /** The rotation events' bus (the rotation function's EVENT_BUS_NAME); default: the default bus. */
  readonly eventBusName?: string;
}

export interface Credentials { readonly accessKeyId: string; readonly secretAccessKey: string }

export type LifecycleEntry = (event: unknown) => Promise<CustomResourceResult>;
export type RotationEntry = (event: unknown) => Promise<RotationOutcome>;

export interface Functions {
  readonly lifecycle: LifecycleEntry;
  readonly rotation: RotationEntry;
  /** The rotation function's `{"action":"sweep"}` (the per-stack schedule's sweep of dead Creates). */
  readonly sweep: (event: unknown) => Promise<SweepOutcome>;
}

export type { SealKeyPolicies } from './seal-keys';

export class Harness {
  static async start(
    simulator: KmsSimulatorOptions = {}, tableName?: string, sealKeyPolicies?: SealKeyPolicies, ledger: LocalDynamoDbOptions = {},
  ): Promise<Harness> {
    const start = simulator.startTime ?? new Date('2026-01-01T03:00:00Z');
    const [sim, db] = await Promise.all([
      startKmsSimulator({ ...simulator, startTime: new Date(start.getTime() - MS_PER_HOUR) }),
      LocalDynamoDb.start(ledger),
    ]);
    // The stack's seal keys, made as CloudFormation makes them (by the deployer, here the simulator's admin), an
    // hour before the test starts: KMS has long found them and authorization sees their policies. The calls that
    // made them are the deploy's, not the functions': the call log starts after them.
    const admin = sim.client({ maxAttempts: 1 });
    const sealKeys = await createSealKeys(admin, sealKeyPolicies);
    admin.destroy();
    sim.clock.set(start);
    sim.calls.reset();
    return new Harness(sim, db, await db.createLedgerTable(tableName), sealKeys);
  }

  readonly log = new CapturingLog();
  /** The metrics lines (CloudWatch EMF) of every rotation run, as Powertools writes them. */
  readonly emf: string[] = [];
  /** A client for the test's own reads and data-plane calls (not counted as the function's). */
  readonly kms: KMSClient;
  /** The test's own view of the ledger. */
  readonly ledger: Ledger;

  private constructor(readonly sim: KmsSimulator, readonly db: LocalDynamoDb, readonly tableName: string, readonly sealKeys: SealKeys) {
    this.kms = sim.client({ maxAttempts: 1 });
    // The test's own view verifies what it reads; its writes (test set-ups) are sealed with the admin's credentials.
    this.ledger = new Ledger(db.client(), tableName, { seal: new SealGateway(this.kms, sealKeys) });
  }

  /** The two entry points, as Lambda runs them. */
  functions(o: HarnessOptions = {}): Functions {
    const shared = this.db.client();
    o.budget?.attach(shared);
    // With the ledger's authorization on, each function signs its ledger calls with its own role's credentials.
    const ledgerClient = (credentials?: Credentials) => {
      if (!this.db.front || !credentials) return shared;
      const own = this.db.client({ credentials });
      o.budget?.attach(own);
      return own;
    };
    const optionsAs = (credentials?: Credentials): HandlerOptions => {
      const dynamodb = ledgerClient(credentials);
      const kms = this.sim.client({ maxAttempts: o.maxAttempts ?? 3, retryMode: 'standard', ...(credentials ? { credentials } : {}), ...o.kmsConfig });
      const tagging = this.sim.taggingClient({ maxAttempts: o.maxAttempts ?? 3, ...(credentials ? { credentials } : {}) });
      // As in Lambda: one attempt for the calls the phases retry themselves (CreateKey, GetParametersForImport).
      const once = this.sim.client({ ...(credentials ? { credentials } : {}), ...o.kmsConfig, maxAttempts: 1, retryStrategy: undefined });
      const events = this.sim.eventBridge.client({ maxAttempts: o.maxAttempts ?? 3, ...(credentials ? { credentials } : {}) });
      for (const c of [kms, tagging, once]) o.budget?.attach(c);
      const lambda = o.lambdaEndpoint
        ? new LambdaClient({ region: REGION, endpoint: o.lambdaEndpoint, credentials: credentials ?? SIMULATOR_CREDENTIALS, maxAttempts: 1 })
        : undefined;
      const s3 = o.s3Endpoint
        ? new S3Client({
          region: REGION, endpoint: o.s3Endpoint, forcePathStyle: true, credentials: credentials ?? SIMULATOR_CREDENTIALS, maxAttempts: 1,
        })
        : undefined;
      if (s3) o.budget?.attach(s3);
      return {
        lambda,
        s3,
        providerTimeoutMs: o.providerTimeoutMs,
        kms,
        tagging,
        once,
        dynamodb,
        tableName: this.tableName,
        sealKeys: this.sealKeys,
        stackId: o.stackId,
        now: () => this.sim.clock.now(),
        log: this.log,
        leaseMs: o.leaseMs,
        sleep: (ms) => this.sleep(ms),
        events,
        eventBusName: o.eventBusName,
        metrics: o.metrics ?? capturingMetrics(this.emf),
      };
    };
    // Lambda's remaining time, on the simulated clock: the functions' sleeps (which move it) use it up.
    const context = () => {
      const started = this.sim.clock.now().getTime();
      const budget = o.remainingMs ?? 5 * 60_000;
      return { awsRequestId: `run-${++runs}`, getRemainingTimeInMillis: () => budget - (this.sim.clock.now().getTime() - started) };
    };
    const lifecycle = createLifecycleHandler({ ...optionsAs(o.credentials?.lifecycle), ...(o.stackId ? { stackId: o.stackId } : {}) });
    const rotation = createRotationHandler(optionsAs(o.credentials?.rotation));
    const sweep = createSweepHandler(optionsAs(o.credentials?.rotation));
    return {
      lifecycle: (event) => lifecycle(event, context()),
      rotation: (event) => rotation(event, context()),
      sweep: (event) => sweep(event, context()),
    };
  }

  /** Waits as the function does: the simulated clock moves; real time barely. */
  sleep(ms: number): Promise<void> {
    return this.sim.sleep(ms);
  }

  async deploy(f: Functions, overrides: Record<string, unknown> = {}): Promise<CustomResourceResult> {
    return f.lifecycle(cfnEvent('Create', groupProps(overrides)));
  }

  /**
   * Fires the schedule every 10 simulated minutes for `ms`, as EventBridge
   * Scheduler would, and returns every outcome. `between` runs after each run.
   */
  async runSchedule(
    f: Functions, ms: number, event: unknown = rotateIfDue(), between?: () => Promise<void>, events?: unknown[],
  ): Promise<RotationOutcome[]> {
    const outcomes: RotationOutcome[] = [];
    for (let t = 0; t < ms; t += SCHEDULE_PERIOD_MS) {
      this.sim.clock.advance(SCHEDULE_PERIOD_MS);
      // Several groups' schedules fire at the same minute: their runs go at once.
      outcomes.push(...await Promise.all((events ?? [event]).map((e) => f.rotation(e))));
      if (between) await between();
    }
    return outcomes;
  }

  /** Moves the clock to the next start of the configured hour (03:00 UTC in the fixtures) after `days` days. */
  advanceToScheduleHour(days: number): void {
    const now = this.sim.clock.now().getTime();
    const target = new Date(now + days * 24 * MS_PER_HOUR);
    target.setUTCHours(3, 0, 0, 0);
    if (target.getTime() > now) this.sim.clock.set(target);
  }

  async group(groupId = 'telemetry-group'): Promise<GroupRecord> {
    const rec = await this.ledger.get(groupId);
    if (!rec) throw new Error(`no ledger entry for ${groupId}`);
    return rec;
  }

  async encrypt(aliasName: string, plaintext: string, client = this.kms): Promise<Uint8Array> {
    const r = await client.send(new EncryptCommand({ KeyId: aliasName, Plaintext: Buffer.from(plaintext) }));
    return r.CiphertextBlob!;
  }

  async decrypt(ciphertext: Uint8Array, client = this.kms): Promise<string> {
    const r = await client.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
    return Buffer.from(r.Plaintext!).toString();
  }

  /**
   * A test set-up's change of a group's entry, sealed as a function would seal it: with `credentials` (a function
   * role's, where the seal keys carry the synthesized policies, which deny the simulator's admin), else the admin's.
   */
  async editLedger(groupId: string, change: (r: GroupRecord) => GroupRecord, credentials?: Credentials): Promise<GroupRecord> {
    const client = credentials ? this.sim.client({ maxAttempts: 1, credentials }) : this.kms;
    const ledger = new Ledger(this.db.client(), this.tableName, { seal: new SealGateway(client, this.sealKeys) });
    const rec = await ledger.get(groupId);
    if (!rec) throw new Error(`no ledger entry for ${groupId}`);
    return ledger.write(change(rec), rec, this.sim.clock.now(), { runId: 'test-edit' });
  }

  /** Every key of the simulated account but the stack's two seal keys (test-side scan). */
  keysBesidesSeals() {
    const seals = [this.sealKeys.settings, this.sealKeys.state];
    return this.sim.state.keys().filter((k) => !seals.includes(k.arn));
  }

  /** Keys of a group (test-side scan of the simulator's state, which the function never does). */
  groupKeys(groupId: string) {
    return this.sim.state.keys()
      .filter((k) => k.tags[TAG.group] === groupId)
      .sort((a, b) => Number(a.tags[TAG.generation]) - Number(b.tags[TAG.generation]));
  }

  /**
   * The environment of the shipped bundle run against this harness (BundleProcess): the standard SDK
   * endpoints of the simulators and the ledger, signed with `credentials`, plus `extra` (e.g. the S3 or Lambda endpoint).
   */
  bundleEnvironment(credentials: { accessKeyId: string; secretAccessKey: string }, extra: Record<string, string> = {}): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_KMS: this.sim.endpoint,
      AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: this.sim.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: this.db.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: this.sim.endpoint,
      ...extra,
      LEDGER_TABLE_NAME: this.tableName,
      SETTINGS_SEAL_KEY_ARN: this.sealKeys.settings,
      STATE_SEAL_KEY_ARN: this.sealKeys.state,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
  }

  aliasTarget(aliasName: string): string | undefined {
    return this.sim.state.aliases().find((a) => a.AliasName === aliasName)?.TargetKeyId;
  }

  async stop(): Promise<void> {
    this.kms.destroy();
    await Promise.all([this.sim.stop(), this.db.stop()]);
  }
}

let runs = 0;
