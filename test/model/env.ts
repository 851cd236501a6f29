/**
 * The environment the model's histories run in: ONE simulator and ONE local
 * DynamoDB (through the rotation test harness), a fresh ledger table per
 * history, and the two functions as Lambda runs them, each with its role's
 * credentials (so with authorization on, each holds only the IAM policies the
 * construct synthesizes for it), plus the writer (`grantEncrypt`), the reader
 * (`grantDecrypt`) and the admin (the simulator's own credentials).
 *
 * `MODEL_ENV` is the one place where eventual consistency, authorization and
 * the synthesized permissions are switched on.
 *
 * Each function runs in a "slot": its KMS client sends through a request
 * handler that records every request of the invocation (operation, request,
 * HTTP status, simulated time), and can make the function die: hang for ever at
 * a KMS call, as a Lambda that is killed (a timeout, a crash) never runs its
 * `finally` blocks and leaves its ledger lock behind. Each invocation has a
 * deadline on the simulated clock (the model's function timeout, shorter than
 * the lease); a function still running past it dies at its next KMS call.
 * Retries are the SDK's decision (throttling and 5xx, up to the slot's
 * attempts) without waiting: the backoff would be real time.
 */
import { KMSClientConfig } from '@aws-sdk/client-kms';
import { MS_PER_DAY, MS_PER_HOUR, SimPrincipal } from '../kms-simulator';
import { RemovalChoice, stackForGroup, SynthesizedStack, SynthesizedStacks, synthesizedStacks } from './policies';
import { closeWire, WireDynamoDb, WireKms } from './wire';
import { cfnEvent } from '../rotation/fixtures';
import { Functions, Harness } from '../rotation/harness';

/** Everything that decides how hostile the world is. */
export interface ModelEnvOptions {
  /** The simulator's eventual consistency (reads up to `readLagMs` old, new keys not found for up to `newKeyNotFoundMs`), or off. */
  readonly consistency: false | { readonly seed: number; readonly readLagMs: number; readonly newKeyNotFoundMs: number };
  /** IAM and key-policy authorization in the simulator (alias, tag and policy changes reach it `propagationMs` late), or off. */
  readonly authorization: false | { readonly propagationMs: number };
  /**
   * With authorization: each function's clients use its role's access key
   * and hold only the policies the construct synthesizes; the writer and the
   * reader hold only what grantEncrypt / grantDecrypt give them. Otherwise
   * everyone uses the admin credentials.
   */
  readonly synthesizedPolicies: boolean;
  /**
   * With synthesized policies: the seal keys' policies deny GenerateMac to all but the functions.
   * False turns that Deny into an Allow to the account: the admin can then seal, so a tampering
   * sealed again gets past the functions' check (the counterexample showing the tampering check is not vacuous).
   * @default true
   */
  readonly sealKeyDeny?: boolean;
  /** The functions' lease on a group's lock (their default is 11 minutes; short, so histories get past a dead run's lock). */
  readonly leaseMs: number;
  /** The model's function timeouts: shorter than the lease, as the real ones are. */
  readonly lifecycleTimeoutMs: number;
  readonly rotationTimeoutMs: number;
}

/** The model's world: eventual consistency, authorization with propagation, and the synthesized permissions, all on. */
export const MODEL_ENV: ModelEnvOptions = {
  consistency: { seed: 20261122, readLagMs: 15_000, newKeyNotFoundMs: 5_000 },
  authorization: { propagationMs: 5 * 60_000 },
  synthesizedPolicies: true,
  leaseMs: 2 * 60_000,
  lifecycleTimeoutMs: 110_000,
  rotationTimeoutMs: 100_000,
};

/** The environment of a run: MODEL_ENV, with the consistency draws seeded by the run's seed. */
export function envOptionsFor(seed: number, o: { consistency?: boolean; authorization?: boolean } = {}): ModelEnvOptions {
  return {
    ...MODEL_ENV,
    consistency: o.consistency === false || !MODEL_ENV.consistency ? false : { ...MODEL_ENV.consistency, seed },
    authorization: o.authorization === false ? false : MODEL_ENV.authorization,
  };
}

/** The seal keys' policies, as synthesized or (`deny` false) broken: the account may seal. */
function sealPolicies(p: SynthesizedStack['sealKeyPolicies'], deny: boolean): SynthesizedStack['sealKeyPolicies'] {
  if (deny) return p;
  const broken = { Sid: 'AccountMaySeal', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:GenerateMac', Resource: '*' };
  const without = (policy: string) => {
    const doc = JSON.parse(policy) as { Statement: Array<{ Effect: string }> };
    return JSON.stringify({ ...doc, Statement: doc.Statement.map((s) => (s.Effect === 'Deny' ? broken : s)) });
  };
  return { settings: without(p.settings), state: without(p.state) };
}

/** SDK attempts per call of a retrying function (throttling and 5xx). */
export const RETRYING_ATTEMPTS = 3;
/** How far the clock jumps when an import token is made to expire inside a run. */
export const TOKEN_EXPIRY_JUMP_MS = 25 * MS_PER_HOUR;

/** The simulator's own credentials (an admin). */
const ADMIN_ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';

const ACCESS_KEYS = {
  lifecycle: 'AKIAMODELLIFECYCLE01',
  rotation: 'AKIAMODELROTATION001',
  writer: 'AKIAMODELWRITER00001',
  reader: 'AKIAMODELREADER00001',
} as const;
/** The tampering actor's principal for tags: it holds kms:TagResource on * and nothing else. */
const TAGGER = { accessKeyId: 'AKIAMODELTAGGER00001', arn: 'arn:aws:iam::111122223333:role/tagger' } as const;
/** The deploying stack: the lifecycle function's STACK_ID (the stack cfnEvent names). */
export const MODEL_STACK_ID = String(cfnEvent('Create', {}).StackId);
type Principal = keyof typeof ACCESS_KEYS;

type RetryStrategyV2 = Extract<NonNullable<KMSClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;
type RequestHandler = { handle(request: any, options?: any): Promise<{ response: any }>; destroy?(): void; [k: string]: any };

/** One KMS request a function made. */
export interface FunctionCall {
  readonly op: string;
  readonly request: Record<string, any>;
  /** HTTP status; 200 when KMS did what was asked. */
  readonly status: number;
  /** Simulated time the request was sent. */
  readonly at: number;
  /** Order of the requests of every function of the environment. */
  readonly seq: number;
}

let callSeq = 0;

/** An SDK logger without methods: the SDK then skips building log entries. */
const QUIET = {} as unknown as NonNullable<KMSClientConfig['logger']>;

export type Death = 'crash' | 'timeout';

/** How the slot's next invocation is to fail, if at all. */
export interface SlotPlan {
  /** SDK attempts per call (1: an injected fault is final). */
  readonly maxAttempts: number;
  /** Dies at its (after+1)-th KMS request: before sending it, or (`effect`) after KMS did it but before the answer arrived. */
  readonly crash?: { readonly after: number; readonly effect: boolean };
  /** The clock jumps past the import token's validity before each of the next n ImportKeyMaterial requests. */
  readonly tokenExpiries?: number;
  /** The next successful answer of this operation is lost: it took effect, the SDK sees a 500 and retries. */
  readonly loseAnswerOf?: string;
}

/** A function instance (its SDK clients) that runs one invocation at a time. */
export class Slot {
  calls: FunctionCall[] = [];
  deadline = Number.MAX_SAFE_INTEGER;
  plan: SlotPlan = { maxAttempts: RETRYING_ATTEMPTS };
  death: Death | undefined;
  tokenJumps = 0;
  lostAnswers = 0;
  readonly functions: Functions;
  private deathPromise: Promise<Death> = new Promise(() => undefined);
  private tokenExpiriesLeft = 0;
  private loseAnswerOf: string | undefined;
  private signalDeath: (d: Death) => void;

  constructor(readonly name: string, private readonly env: ModelEnv, principalsOn: boolean, base: RequestHandler) {
    const credentialsOf = (p: Principal) => ({ accessKeyId: ACCESS_KEYS[p], secretAccessKey: 'model-secret' });
    const credentials = principalsOn ? { lifecycle: credentialsOf('lifecycle'), rotation: credentialsOf('rotation') } : undefined;
    const deadline = () => this.deadline;
    this.signalDeath = () => undefined;
    this.functions = env.h.functions({
      credentials,
      leaseMs: env.options.leaseMs,
      maxAttempts: RETRYING_ATTEMPTS,
      stackId: MODEL_STACK_ID,
      // No SDK logger: its middleware would filter every request and answer for a log nobody reads.
      kmsConfig: { retryStrategy: this.retryStrategy(), requestHandler: this.requestHandler(base), logger: QUIET },
      // Read at every call: the time left until this invocation's deadline on the simulated clock.
      get remainingMs() {
        return Math.max(0, deadline() - env.h.sim.clock.now().getTime());
      },
    });
  }

  /** Prepares the next invocation. */
  begin(plan: SlotPlan, timeoutMs: number): void {
    this.calls = [];
    this.plan = plan;
    this.death = undefined;
    this.tokenExpiriesLeft = plan.tokenExpiries ?? 0;
    this.loseAnswerOf = plan.loseAnswerOf;
    this.deadline = this.env.h.sim.clock.now().getTime() + timeoutMs;
    this.deathPromise = new Promise((resolve) => { this.signalDeath = resolve; });
  }

  /** Resolves when the current invocation dies. */
  died(): Promise<Death> {
    return this.deathPromise;
  }

  private die(d: Death): Promise<never> {
    if (!this.death) {
      this.death = d;
      this.signalDeath(d);
    }
    return new Promise<never>(() => undefined);
  }

  private retryStrategy(): RetryStrategyV2 {
    const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
    return {
      acquireInitialRetryToken: async () => token(0),
      refreshRetryTokenForRetry: async (t, info) => {
        const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
        if (retryable && t.getRetryCount() + 1 < this.plan.maxAttempts) return token(t.getRetryCount() + 1);
        throw new Error('No retry token available');
      },
      recordSuccess: () => undefined,
    };
  }

  private requestHandler(base: RequestHandler): RequestHandler {
    const clock = this.env.h.sim.clock;
    const handle = async (request: any, options?: any): Promise<{ response: any }> => {
      if (this.death) return this.die(this.death);
      const now = clock.now().getTime();
      if (now > this.deadline) return this.die('timeout');
      const op = String(request.headers?.['x-amz-target'] ?? '').split('.').pop() ?? '';
      const crash = this.plan.crash;
      if (crash && !crash.effect && this.calls.length >= crash.after) return this.die('crash');
      if (op === 'ImportKeyMaterial' && this.tokenExpiriesLeft > 0) {
        this.tokenExpiriesLeft -= 1;
        this.tokenJumps += 1;
        clock.advance(TOKEN_EXPIRY_JUMP_MS);
        // The run was frozen, not slow: its own deadline moves with the clock.
        this.deadline += TOKEN_EXPIRY_JUMP_MS;
      }
      const body = requestBody(request.body);
      const at = clock.now().getTime();
      const out = await base.handle(request, options);
      const status = Number(out.response?.statusCode ?? 0);
      this.calls.push({ op, request: body, status, at, seq: ++callSeq });
      if (crash && crash.effect && this.calls.length > crash.after) {
        // KMS did it; the function never learns.
        out.response?.body?.resume?.();
        return this.die('crash');
      }
      if (status === 200 && this.loseAnswerOf === op) {
        this.loseAnswerOf = undefined;
        this.lostAnswers += 1;
        out.response?.body?.resume?.();
        return { response: lostAnswer(out.response) };
      }
      return out;
    };
    return {
      handle,
      destroy: () => undefined,
      updateHttpClientConfig: (...args: unknown[]) => base.updateHttpClientConfig?.(...args),
      httpHandlerConfigs: () => base.httpHandlerConfigs?.() ?? {},
      metadata: base.metadata,
    };
  }
}

/** The JSON request of a KMS call (the SDK hands the handler a string or bytes). */
function requestBody(body: unknown): Record<string, any> {
  // A view of the bytes: the SDK's body may be a Uint8Array whose string methods it warns about.
  const text = typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : '';
  try {
    return text ? JSON.parse(text) as Record<string, any> : {};
  } catch {
    return {};
  }
}

/** A 500 in place of an answer that was lost on the way back. */
function lostAnswer(original: any): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Readable } = require('node:stream') as typeof import('node:stream');
  const payload = JSON.stringify({ __type: 'KMSInternalException', message: 'the answer was lost after the operation took effect (injected fault)' });
  return Object.assign(Object.create(Object.getPrototypeOf(original)), original, {
    statusCode: 500,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(Buffer.byteLength(payload)) },
    body: Readable.from([Buffer.from(payload)]),
  });
}

/** The specialised permissions and events of one group. */
export interface GroupStack {
  readonly removal: RemovalChoice;
  readonly stack: SynthesizedStack;
}

export class ModelEnv {
  /**
   * `given`: the synthesized stacks and the simulator's wrapping key cache, when
   * the caller has them (a shard worker, whose bundled code cannot find the
   * project's files from its own location).
   */
  static async start(
    options: ModelEnvOptions = MODEL_ENV,
    given: { stacks?: SynthesizedStacks; wrappingKeyCacheDir?: string } = {},
  ): Promise<ModelEnv> {
    const stacks = given.stacks ?? synthesizedStacks();
    const auth = options.authorization;
    const principals: SimPrincipal[] = auth && options.synthesizedPolicies
      ? [
        ...(Object.keys(ACCESS_KEYS) as Principal[]).map((p) => ({ accessKeyId: ACCESS_KEYS[p], arn: stacks.destroy.roles[p].arn, policies: [] })),
        { ...TAGGER, policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:TagResource', Resource: '*' }] }] as SimPrincipal['policies'] },
      ]
      : [];
    const h = await Harness.start({
      ...(given.wrappingKeyCacheDir ? { wrappingKeyCacheDir: given.wrappingKeyCacheDir } : {}),
      ...(options.consistency ? { consistency: options.consistency } : {}),
      ...(auth ? { authorization: { principals, propagationMs: auth.propagationMs } } : {}),
      // Both stacks' functions share one pair of roles, so one pair of seal keys serves them.
    }, undefined, auth && options.synthesizedPolicies ? sealPolicies(stacks.destroy.sealKeyPolicies, options.sealKeyDeny !== false) : undefined);
    return new ModelEnv(h, options, stacks);
  }

  /** The function slots: two of each function, for invocations at once. */
  readonly lifecycle: readonly [Slot, Slot];
  readonly rotation: readonly [Slot, Slot];
  /** The test's own clients: the writer, the reader, the admin (for checks the functions cannot do). */
  readonly writer: WireKms;
  readonly reader: WireKms;
  readonly admin: WireKms;
  /** The tampering actor with kms:TagResource on * (the admin without authorization). */
  readonly tagger: WireKms;
  /** The test's own access to the local DynamoDB (its reads are not the functions'). */
  readonly dynamodb: WireDynamoDb;
  readonly propagationMs: number;
  private readonly principalsOn: boolean;

  private constructor(readonly h: Harness, readonly options: ModelEnvOptions, readonly stacks: SynthesizedStacks) {
    this.principalsOn = options.authorization !== false && options.synthesizedPolicies;
    this.propagationMs = options.authorization ? options.authorization.propagationMs : 0;
    const base = h.sim.client({ maxAttempts: 1 }).config.requestHandler as unknown as RequestHandler;
    const on = this.principalsOn;
    this.lifecycle = [new Slot('lifecycle', this, on, base), new Slot('lifecycle#2', this, on, base)];
    this.rotation = [new Slot('rotation', this, on, base), new Slot('rotation#2', this, on, base)];
    const endpoint = h.sim.endpoint;
    this.writer = new WireKms(endpoint, this.principalsOn ? ACCESS_KEYS.writer : ADMIN_ACCESS_KEY);
    this.reader = new WireKms(endpoint, this.principalsOn ? ACCESS_KEYS.reader : ADMIN_ACCESS_KEY);
    this.admin = new WireKms(endpoint, ADMIN_ACCESS_KEY);
    this.tagger = new WireKms(endpoint, this.principalsOn ? TAGGER.accessKeyId : ADMIN_ACCESS_KEY);
    this.dynamodb = new WireDynamoDb(h.db.endpoint);
  }

  /** Every item of the history's ledger table (one strongly consistent scan; the table is new for each history). */
  scanLedger(): Promise<Record<string, unknown>[]> {
    return this.dynamodb.scan(this.h.tableName);
  }

  /** The permissions and CloudFormation properties of a group, as the construct synthesizes them. */
  groupStack(removal: RemovalChoice, groupId: string, aliasName: string): GroupStack {
    const text = JSON.stringify(stackForGroup(this.stacks, removal, groupId, aliasName))
      // The template names the seal keys by their logical ids; deployed, they are the harness's keys.
      .replace(/arn:aws:kms:[^"]*:key\/[A-Za-z0-9]*SettingsSealKey[A-Za-z0-9]*/g, this.h.sealKeys.settings)
      .replace(/arn:aws:kms:[^"]*:key\/[A-Za-z0-9]*LedgerSealKey[A-Za-z0-9]*/g, this.h.sealKeys.state);
    return { removal, stack: JSON.parse(text) as SynthesizedStack };
  }

  /** Gives the principals the policies of this group's stack (CloudFormation updates IAM before the key group). */
  applyPolicies(g: GroupStack): void {
    if (!this.principalsOn) return;
    for (const p of Object.keys(ACCESS_KEYS) as Principal[]) {
      this.h.sim.authorization.setPrincipal({ accessKeyId: ACCESS_KEYS[p], arn: g.stack.roles[p].arn, policies: g.stack.roles[p].policies });
    }
  }

  /**
   * A new history: an empty ledger table, no faults, no calls or log lines
   * of the last one, and the clock at `start` (set back first, so the
   * simulator forgets the recorded past of earlier histories).
   */
  async beginHistory(start: Date): Promise<void> {
    this.h.sim.faults.clear();
    this.h.sim.clock.set(new Date('2000-01-01T00:00:00Z'));
    this.h.sim.clock.set(start);
    this.h.sim.calls.reset();
    this.h.log.lines.length = 0;
    await this.resetTable();
  }

  /** Schedules every key still there for deletion and lets the windows pass, so the simulator holds nothing of this history. */
  async endHistory(): Promise<void> {
    this.h.sim.faults.clear();
    // Keys made a moment ago are not found by id yet (eventual consistency).
    this.h.sim.clock.advance(MS_PER_HOUR);
    for (const k of this.h.keysBesidesSeals()) {
      if (k.state === 'PendingDeletion') continue;
      await this.admin.call('ScheduleKeyDeletion', { KeyId: k.id, PendingWindowInDays: 7 });
    }
    this.h.sim.clock.advance(31 * MS_PER_DAY);
  }

  private async resetTable(): Promise<void> {
    const TableName = this.h.tableName;
    await this.dynamodb.call('DeleteTable', { TableName }).catch((e: Error) => {
      if (e.name !== 'ResourceNotFoundException') throw e;
    });
    // dynalite removes a deleted table (and activates a new one) on a later tick.
    for (;;) {
      await new Promise((r) => setTimeout(r, 0));
      const created = await this.dynamodb.call('CreateTable', {
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }).then(() => true, (e: Error) => {
        if (e.name !== 'ResourceInUseException') throw e;
        return false;
      });
      if (created) break;
    }
    for (;;) {
      await new Promise((r) => setTimeout(r, 0));
      const t = await this.dynamodb.call<{ Table?: { TableStatus?: string } }>('DescribeTable', { TableName });
      if (t.Table?.TableStatus === 'ACTIVE') break;
    }
  }

  async stop(): Promise<void> {
    closeWire();
    await this.h.stop();
  }
}
