/**
 * Local AWS KMS simulator — test infrastructure only, never used by production code.
 *
 * Serves the AWS JSON 1.1 protocol over HTTP on 127.0.0.1 so that the real
 * `@aws-sdk/client-kms` (and `@aws-sdk/client-resource-groups-tagging-api` for GetResources)
 * can be pointed at it with `endpoint`. It implements, for SYMMETRIC_DEFAULT keys and HMAC keys:
 *
 * - keys: CreateKey (AWS_KMS / EXTERNAL origin; HMAC_224/256/384/512 keys with key usage
 *   GENERATE_VERIFY_MAC, origin AWS_KMS only), DescribeKey, ListKeys, UpdateKeyDescription;
 * - imported key material: GetParametersForImport (real RSA 2048/3072/4096 wrapping keys, a
 *   distinct key pair per call from a pool of pre-generated pairs, RSAES_OAEP_SHA_1/256 and
 *   RSA_AES_KEY_WRAP_SHA_1/256), ImportKeyMaterial (unwrapping, import tokens bound to key +
 *   wrapping key pair + algorithm and valid 24 h, ExpirationModel / ValidTo, NEW_KEY_MATERIAL /
 *   EXISTING_KEY_MATERIAL), DeleteImportedKeyMaterial, expiry of key material on the
 *   simulated clock;
 * - cryptography: Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
 *   ReEncrypt (AES-256-GCM under the key material, encryption context bound as AAD);
 *   GenerateMac, VerifyMac (HMAC keys; hmac.ts lists the facts and their sources);
 * - aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (with CreationDate and
 *   LastUpdatedDate);
 * - tags: TagResource, UntagResource, ListResourceTags, and the Resource Groups Tagging API
 *   operation GetResources;
 * - key policies: GetKeyPolicy, PutKeyPolicy (structure validated, stored verbatim, evaluated
 *   only in the authorization mode);
 * - lifecycle: EnableKey, DisableKey, ScheduleKeyDeletion / CancelKeyDeletion (deletion on the
 *   simulated clock), RotateKeyOnDemand, ListKeyRotations;
 * - key-state gating of every operation with the documented KMS errors, paging with
 *   Limit/Marker, parameter validation (ValidationException);
 * - fault injection (throttling, 5xx, fail-after-n, rate limits on the simulated clock) and call counters;
 * - a `Date` response header that can be shifted with the caller's clock (`dateHeaderOffsetMs`).
 *
 * Optional modes, all off by default (then every read sees the latest state, nothing is
 * authorized and nothing is throttled):
 *
 * - `consistency`: eventual consistency on the simulated clock (consistency.ts): lagged reads,
 *   alias resolution of cryptographic operations a moment behind, new keys not found for a
 *   while; seeded, with counters of the stale answers served (`sim.consistency`).
 * - `authorization`: callers identified by the access key id of their SigV4 credential;
 *   every request evaluated with the IAM evaluator of test/iam against identity policies and
 *   key policies, with the documented condition keys; later policy, tag and alias changes
 *   reach authorization only `propagationMs` after they were made (authorization-view.ts).
 *   The simulator's own credentials are an implicit admin (`SimulatorAdmin` role) with an
 *   allow-all identity policy. It is evaluated like any other principal, so an explicit Deny
 *   that matches it (e.g. a key policy denying kms:GenerateMac to everyone but named roles)
 *   binds it too; without authorization mode nothing is evaluated at all.
 * - `quotas`: per-account, per-operation request quotas on the simulated clock (quotas.ts); the
 *   SDK clients it makes then back off on that clock too (simulated-backoff.ts).
 *
 * Seeded draws reproduce for the same sequence of requests; setting the simulated clock
 * backwards settles everything (all earlier changes count as propagated and visible).
 *
 * It does NOT verify request signatures, and does not model: propagation of identity (IAM)
 * policies, the policy lockout safety check, principals in policies that must exist, the
 * "IAM policies only" restriction of kms:ResourceAliases, kms:ViaService, grants, asymmetric
 * keys, HMAC keys with imported material, multi-Region keys, custom key stores, or stale key state in cryptographic
 * operations (only their alias resolution lags).
 */
import { EventBridgeClient, EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';
import {
  ResourceGroupsTaggingAPIClient,
  ResourceGroupsTaggingAPIClientConfig,
} from '@aws-sdk/client-resource-groups-tagging-api';
import type { PolicyDocument } from '../iam';
import { AuthorizationOptions, Authorizer, DEFAULT_PROPAGATION_MS } from './authorizer';
import { CallLog } from './calls';
import { SimClock } from './clock';
import { ConsistencyModel, ConsistencyOptions } from './consistency';
import { ConsistencyStats } from './consistency-stats';
import { DecisionLog } from './decisions';
import { DeliveredEvent, EventBridgeSim, PutEvent, SimRule } from './eventbridge';
import { FaultInjector } from './faults';
import { ChangeHistory } from './history';
import { ALLOW_ALL_POLICY, PrincipalRegistry, SimPrincipal } from './identity';
import type { AliasSnapshot, KeySnapshot } from './model';
import { defaultQuotas, QuotaLimiter, QuotaRates } from './quotas';
import { realNowMs } from './real-time';
import { ResponseDate } from './response-date';
import { startServer } from './server';
import { SimulatedBackoff } from './simulated-backoff';
import { SimStore } from './store';
import { DEFAULT_WRAPPING_KEY_CACHE_DIR } from './wrapping-key-cache';
import { FreshWrappingKeys, PooledWrappingKeys } from './wrapping-key-source';

export { DEFAULT_PROPAGATION_MS } from './authorizer';
export type { AuthorizationOptions } from './authorizer';
export { CallLog, MUTATING_OPERATIONS } from './calls';
export type { CallRecord } from './calls';
export { SimClock, MS_PER_DAY, MS_PER_HOUR, MS_PER_SECOND } from './clock';
export { ALIAS_RESOLVING_OPERATIONS, LAGGED_READS } from './consistency';
export type { ConsistencyOptions } from './consistency';
export { ConsistencyStats } from './consistency-stats';
export { DecisionLog } from './decisions';
export type { DecisionCount, DecisionFilter } from './decisions';
export type { DeliveredEvent, PutEvent, SimRule } from './eventbridge';
export { FaultInjector } from './faults';
export type { FaultTarget } from './faults';
export { ALLOW_ALL_POLICY } from './identity';
export type { SimPrincipal } from './identity';
export type {
  AliasSnapshot,
  ExpirationModel,
  KeyMaterialState,
  KeySnapshot,
  KeyState,
  MaterialSnapshot,
  WrappingAlgorithm,
  WrappingKeySpec,
} from './model';
export {
  DEFAULT_KMS_QUOTAS,
  defaultQuotas,
  SYMMETRIC_CRYPTOGRAPHIC_OPERATIONS,
  SYMMETRIC_CRYPTOGRAPHIC_QUOTA,
} from './quotas';
export type { QuotaRates } from './quotas';
export { wrapKeyMaterial } from './wrap-key-material';
export { DEFAULT_WRAPPING_KEY_CACHE_DIR } from './wrapping-key-cache';

export interface KmsSimulatorOptions {
  /** Account id used in ARNs. Default '111122223333'. */
  readonly accountId?: string;
  /** Region used in ARNs and clients. Default 'us-east-1'. */
  readonly region?: string;
  /** Initial simulated time. Default 2026-01-01T00:00:00Z. */
  readonly startTime?: Date;
  /**
   * Take RSA wrapping key pairs from a pool of pre-generated pairs (still a distinct pair per
   * call for each key, see wrapping-key-source.ts); false generates a new pair for every
   * GetParametersForImport call (slow for RSA_4096). Default true.
   */
  readonly rsaKeyCache?: boolean;
  /** Pre-generated wrapping key pairs per key spec, handed out round-robin. Default 8. */
  readonly wrappingKeyPoolSize?: number;
  /**
   * Directory where the pool's key pairs are persisted for later test processes, or false.
   * Default `node_modules/.cache/kms-simulator` of this project.
   */
  readonly wrappingKeyCacheDir?: string | false;
  /** Eventual consistency mode (simulated time). Default off: every read sees the latest state. */
  readonly consistency?: ConsistencyOptions;
  /** Authorization mode. Default off: every request is allowed. */
  readonly authorization?: AuthorizationOptions;
  /**
   * Request quotas (per account and quota): `'default'` for the documented default
   * quotas, or requests per second per operation name (`SymmetricCryptographicOperations` for
   * the shared cryptographic quota); operations without a quota are not limited. Default off.
   */
  readonly quotas?: 'default' | QuotaRates;
  /** Multiplies every quota (100: GetParametersForImport admits 100 requests per second). Default 1. */
  readonly quotaScale?: number;
  /**
   * The quotas' clock. `'simulated'`: the simulator's clock, and the clients it makes back off on that clock
   * (`backoff`), so nothing depends on how fast the machine is. `'real'`: wall-clock time, for benchmarks that
   * measure real throughput. Default `'simulated'`.
   */
  readonly quotaClock?: 'simulated' | 'real';
  /** Milliseconds added to the real time in the `Date` response header. Default 0. */
  readonly dateHeaderOffsetMs?: number;
}

export interface SimAuthorization {
  readonly enabled: boolean;
  readonly propagationMs: number;
  /** The principal of the simulator's own credentials (allow-all identity policy). */
  readonly adminArn: string;
  /** Allowed/denied decisions per (principal ARN, operation). */
  readonly decisions: DecisionLog;
  /** Adds or replaces a principal; takes effect at once (IAM propagation is not modelled). */
  setPrincipal(principal: SimPrincipal): void;
}

export interface SimQuotas {
  readonly enabled: boolean;
  /** Requests answered ThrottlingException by a quota, in total or for one operation. */
  throttled(op?: string): number;
  /** Admits every request while paused (set-up that is not part of a measurement). */
  setPaused(paused: boolean): void;
}

/** Read-only views of the simulator state for test assertions. */
export interface SimStateView {
  keys(): KeySnapshot[];
  /** Looks a key up by key id or key ARN. */
  key(id: string): KeySnapshot | undefined;
  aliases(): AliasSnapshot[];
  /** Copies of every key material the simulator unwrapped (also refused ones), for secrecy checks. */
  importedMaterials(): Buffer[];
  /** Every import token handed out by GetParametersForImport, for secrecy checks. */
  issuedImportTokens(): Buffer[];
  /** A copy of a key's current secret material (key id or key ARN), for independent checks of MACs. */
  currentMaterial(id: string): Buffer | undefined;
}

/** The account's event buses (EventBridge PutEvents on the same endpoint): `default` and the declared ones, and their rules. */
export interface SimEventBridge {
  readonly defaultBusArn: string;
  /** The ARN of a bus of the simulator's account and Region. */
  busArn(name: string): string;
  /** Every event put so far, on any bus, in order. */
  events(): PutEvent[];
  /** Makes a custom bus exist, with its resource-based policy (or sets the policy of `default`). */
  declareBus(name: string, policy?: PolicyDocument): void;
  /** Adds a rule to a declared bus (exact-value patterns only). */
  declareRule(rule: SimRule): void;
  /** The events a rule matched, as its targets receive them. */
  matched(ruleName: string): DeliveredEvent[];
  /** A real EventBridgeClient for this simulator plus `config`. */
  client(config?: Partial<EventBridgeClientConfig>): EventBridgeClient;
  /** A real EventBridgeClient signing with the access key id of a configured principal. */
  clientFor(accessKeyId: string, config?: Partial<EventBridgeClientConfig>): EventBridgeClient;
}

export interface KmsSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly clock: SimClock;
  readonly faults: FaultInjector;
  readonly calls: CallLog;
  readonly state: SimStateView;
  /** Stale answers served by the eventual consistency mode (all zero when it is off). */
  readonly consistency: ConsistencyStats;
  readonly authorization: SimAuthorization;
  readonly quotas: SimQuotas;
  readonly eventBridge: SimEventBridge;
  /** A real KMSClient for this simulator (region, dummy credentials, endpoint) plus `config`. */
  client(config?: Partial<KMSClientConfig>): KMSClient;
  /** A real KMSClient signing with the access key id of a configured principal. */
  clientFor(accessKeyId: string, config?: Partial<KMSClientConfig>): KMSClient;
  /** A real Resource Groups Tagging API client for this simulator plus `config`. */
  taggingClient(config?: Partial<ResourceGroupsTaggingAPIClientConfig>): ResourceGroupsTaggingAPIClient;
  /** A real Resource Groups Tagging API client signing with the access key id of a configured principal. */
  taggingClientFor(accessKeyId: string, config?: Partial<ResourceGroupsTaggingAPIClientConfig>): ResourceGroupsTaggingAPIClient;
  /**
   * Advances the simulated clock by `ms` and yields to the event loop once: a backoff sleep to
   * inject into code under test, so that its retries see simulated time pass.
   */
  sleep(ms: number): Promise<void>;
  /** Sets the milliseconds added to the real time in the `Date` response header. */
  setDateHeaderOffset(ms: number): void;
  /**
   * The SDK's retry backoff on the simulated clock, for a client's `retryStrategy`: each retry moves the clock by
   * its delay instead of waiting. The clients this simulator makes use it by default while quotas are on simulated time.
   */
  backoff(maxAttempts: number): SimulatedBackoff;
  /** Stops the server and destroys the clients created by `client()` / `taggingClient()`. */
  stop(): Promise<void>;
}

const DUMMY_CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'simulator-secret-access-key' };

export async function startKmsSimulator(opts: KmsSimulatorOptions = {}): Promise<KmsSimulator> {
  const accountId = opts.accountId ?? '111122223333';
  const region = opts.region ?? 'us-east-1';
  const clock = new SimClock(opts.startTime ?? new Date('2026-01-01T00:00:00Z'));
  const history = opts.consistency || opts.authorization ? new ChangeHistory() : undefined;
  const store = new SimStore(accountId, region, clock, history);
  const consistency = opts.consistency && history ? new ConsistencyModel(opts.consistency, store, history) : undefined;
  const adminArn = `arn:aws:iam::${accountId}:role/SimulatorAdmin`;
  const authorizer = opts.authorization && history
    ? new Authorizer(
      store,
      history,
      new PrincipalRegistry([
        { accessKeyId: DUMMY_CREDENTIALS.accessKeyId, arn: adminArn, policies: [ALLOW_ALL_POLICY] },
        ...opts.authorization.principals,
      ]),
      opts.authorization.propagationMs ?? DEFAULT_PROPAGATION_MS,
    )
    : undefined;
  const quotas = opts.quotas !== undefined
    ? new QuotaLimiter(
      opts.quotas === 'default' ? defaultQuotas(region) : opts.quotas,
      opts.quotaScale ?? 1,
      opts.quotaClock === 'real' ? realNowMs : () => clock.peek().getTime(),
    )
    : undefined;
  // A client's own retries wait on the quotas' clock: simulated retries when the quotas are simulated.
  const simulatedBackoff = quotas !== undefined && opts.quotaClock !== 'real';
  const retryConfig = (config: { maxAttempts?: number | (() => Promise<number>); retryStrategy?: unknown }) =>
    simulatedBackoff && config.retryStrategy === undefined ? { retryStrategy: new SimulatedBackoff(clock, config.maxAttempts ?? 3) } : {};
  const cacheDir = opts.wrappingKeyCacheDir === false ? undefined : opts.wrappingKeyCacheDir ?? DEFAULT_WRAPPING_KEY_CACHE_DIR;
  const wrappingKeys = (opts.rsaKeyCache ?? true) ? new PooledWrappingKeys(opts.wrappingKeyPoolSize ?? 8, cacheDir) : new FreshWrappingKeys();
  const responseDate = new ResponseDate(opts.dateHeaderOffsetMs ?? 0);
  const faults = new FaultInjector(() => clock.peek().getTime());
  const calls = new CallLog();
  const eventBridge = new EventBridgeSim(accountId, region, () => store.now());
  const server = await startServer({ store, wrappingKeys, faults, calls, responseDate, consistency, authorizer, quotas, eventBridge });
  const clients: Array<{ destroy(): void }> = [];
  const credentialsOf = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: DUMMY_CREDENTIALS.secretAccessKey });

  const state: SimStateView = {
    keys: () => store.keysInOrder().map((k) => store.snapshot(k)),
    importedMaterials: () => store.importedMaterials.map((m) => Buffer.from(m)),
    issuedImportTokens: () => [...store.tokens.keys()].map((t) => Buffer.from(t, 'base64')),
    key: (id: string) => {
      store.now();
      const keyId = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id;
      const key = store.keys.get(keyId);
      return key ? store.snapshot(key) : undefined;
    },
    aliases: () => store.aliasSnapshots(),
    currentMaterial: (id: string) => {
      const snapshot = state.key(id);
      const bytes = snapshot && store.currentMaterial(store.keys.get(snapshot.id)!)?.bytes;
      return bytes ? Buffer.from(bytes) : undefined;
    },
  };

  const authorization: SimAuthorization = {
    enabled: authorizer !== undefined,
    propagationMs: authorizer?.propagationMs ?? DEFAULT_PROPAGATION_MS,
    adminArn,
    decisions: authorizer?.decisions ?? new DecisionLog(),
    setPrincipal(principal: SimPrincipal): void {
      if (!authorizer) {
        throw new Error('setPrincipal: the simulator was started without the authorization option');
      }
      authorizer.principals.set(principal);
    },
  };

  const kmsClient = (config: Partial<KMSClientConfig>): KMSClient => {
    const client = new KMSClient({ region, endpoint: server.endpoint, credentials: DUMMY_CREDENTIALS, ...config, ...retryConfig(config) });
    clients.push(client);
    return client;
  };
  const taggingClient = (config: Partial<ResourceGroupsTaggingAPIClientConfig>): ResourceGroupsTaggingAPIClient => {
    const client = new ResourceGroupsTaggingAPIClient({
      region, endpoint: server.endpoint, credentials: DUMMY_CREDENTIALS, ...config, ...retryConfig(config),
    });
    clients.push(client);
    return client;
  };

  const eventBridgeClient = (config: Partial<EventBridgeClientConfig>): EventBridgeClient => {
    const client = new EventBridgeClient({ region, endpoint: server.endpoint, credentials: DUMMY_CREDENTIALS, ...config, ...retryConfig(config) });
    clients.push(client);
    return client;
  };

  return {
    endpoint: server.endpoint,
    region,
    accountId,
    clock,
    faults,
    calls,
    state,
    consistency: consistency?.stats ?? new ConsistencyStats(false),
    authorization,
    quotas: {
      enabled: quotas !== undefined,
      throttled: (op?: string) => quotas?.throttled(op) ?? 0,
      setPaused: (paused: boolean) => {
        if (quotas) quotas.paused = paused;
      },
    },
    eventBridge: {
      events: () => eventBridge.events(),
      defaultBusArn: eventBridge.busArn(),
      busArn: (name: string) => eventBridge.busArn(name),
      declareBus: (name: string, policy?: PolicyDocument) => eventBridge.declareBus(name, policy),
      declareRule: (rule: SimRule) => eventBridge.declareRule(rule),
      matched: (ruleName: string) => eventBridge.matched(ruleName),
      client: (config: Partial<EventBridgeClientConfig> = {}) => eventBridgeClient(config),
      clientFor: (accessKeyId: string, config: Partial<EventBridgeClientConfig> = {}) =>
        eventBridgeClient({ credentials: credentialsOf(accessKeyId), ...config }),
    },
    client: (config: Partial<KMSClientConfig> = {}) => kmsClient(config),
    clientFor: (accessKeyId: string, config: Partial<KMSClientConfig> = {}) => kmsClient({ credentials: credentialsOf(accessKeyId), ...config }),
    taggingClient: (config: Partial<ResourceGroupsTaggingAPIClientConfig> = {}) => taggingClient(config),
    taggingClientFor: (accessKeyId: string, config: Partial<ResourceGroupsTaggingAPIClientConfig> = {}) =>
      taggingClient({ credentials: credentialsOf(accessKeyId), ...config }),
    async sleep(ms: number): Promise<void> {
      clock.advance(ms);
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    setDateHeaderOffset: (ms: number) => responseDate.set(ms),
    backoff: (maxAttempts: number) => new SimulatedBackoff(clock, maxAttempts),
    async stop(): Promise<void> {
      for (const c of clients.splice(0)) {
        c.destroy();
      }
      await server.close();
    },
  };
}
