/**
 * Local AWS KMS simulator — test infrastructure only, never used by production code.
 *
 * Serves the AWS JSON 1.1 protocol over HTTP on 127.0.0.1 so that the real
 * `@aws-sdk/client-kms` (and `@aws-sdk/client-resource-groups-tagging-api` for GetResources)
 * can be pointed at it with `endpoint`. It implements, for SYMMETRIC_DEFAULT keys:
 *
 * - keys: CreateKey (AWS_KMS / EXTERNAL origin), DescribeKey, ListKeys, UpdateKeyDescription;
 * - imported key material: GetParametersForImport (real RSA 2048/3072/4096 wrapping keys,
 *   RSAES_OAEP_SHA_1/256 and RSA_AES_KEY_WRAP_SHA_1/256), ImportKeyMaterial (unwrapping,
 *   import tokens bound to key + wrapping key + algorithm and valid 24 h, ExpirationModel /
 *   ValidTo, NEW_KEY_MATERIAL / EXISTING_KEY_MATERIAL), DeleteImportedKeyMaterial, expiry of
 *   key material on the simulated clock;
 * - cryptography: Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
 *   ReEncrypt (AES-256-GCM under the key material, encryption context bound as AAD);
 * - aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases;
 * - tags: TagResource, UntagResource, ListResourceTags, and the Resource Groups Tagging API
 *   operation GetResources;
 * - key policies: GetKeyPolicy, PutKeyPolicy (structure validated, stored verbatim);
 * - lifecycle: EnableKey, DisableKey, ScheduleKeyDeletion / CancelKeyDeletion (deletion on the
 *   simulated clock), RotateKeyOnDemand, ListKeyRotations;
 * - key-state gating of every operation with the documented KMS errors, paging with
 *   Limit/Marker, parameter validation (ValidationException);
 * - fault injection (throttling, 5xx, fail-after-n, real-time rate limits) and call counters.
 *
 * It does NOT evaluate IAM policies or key policies (policies are stored and returned, never
 * enforced), does not verify request signatures, and does not implement grants, asymmetric or
 * HMAC keys, multi-Region keys or custom key stores.
 */
import { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';
import {
  ResourceGroupsTaggingAPIClient,
  ResourceGroupsTaggingAPIClientConfig,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { CallLog } from './calls';
import { SimClock } from './clock';
import { FaultInjector } from './faults';
import type { AliasSnapshot, KeySnapshot } from './model';
import { startServer } from './server';
import { SimStore } from './store';

export { CallLog, MUTATING_OPERATIONS } from './calls';
export type { CallRecord } from './calls';
export { SimClock, MS_PER_DAY, MS_PER_HOUR, MS_PER_SECOND } from './clock';
export { FaultInjector } from './faults';
export type { FaultTarget } from './faults';
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
export { wrapKeyMaterial } from './wrap-key-material';

export interface KmsSimulatorOptions {
  /** Account id used in ARNs. Default '111122223333'. */
  readonly accountId?: string;
  /** Region used in ARNs and clients. Default 'us-east-1'. */
  readonly region?: string;
  /** Initial simulated time. Default 2026-01-01T00:00:00Z. */
  readonly startTime?: Date;
  /**
   * Reuse generated RSA wrapping key pairs per spec across GetParametersForImport calls within
   * the process (each call still gets a fresh import token). Default true.
   */
  readonly rsaKeyCache?: boolean;
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
  /** A real KMSClient for this simulator (region, dummy credentials, endpoint) plus `config`. */
  client(config?: Partial<KMSClientConfig>): KMSClient;
  /** A real Resource Groups Tagging API client for this simulator plus `config`. */
  taggingClient(config?: Partial<ResourceGroupsTaggingAPIClientConfig>): ResourceGroupsTaggingAPIClient;
  /** Stops the server and destroys the clients created by `client()` / `taggingClient()`. */
  stop(): Promise<void>;
}

const DUMMY_CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'simulator-secret-access-key' };

export async function startKmsSimulator(opts: KmsSimulatorOptions = {}): Promise<KmsSimulator> {
  const accountId = opts.accountId ?? '111122223333';
  const region = opts.region ?? 'us-east-1';
  const clock = new SimClock(opts.startTime ?? new Date('2026-01-01T00:00:00Z'));
  const store = new SimStore(accountId, region, clock);
  const faults = new FaultInjector();
  const calls = new CallLog();
  const server = await startServer({
    context: { store, rsaKeyCache: opts.rsaKeyCache ?? true },
    faults,
    calls,
  });
  const clients: Array<{ destroy(): void }> = [];

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
  };

  return {
    endpoint: server.endpoint,
    region,
    accountId,
    clock,
    faults,
    calls,
    state,
    client(config: Partial<KMSClientConfig> = {}): KMSClient {
      const client = new KMSClient({ region, endpoint: server.endpoint, credentials: DUMMY_CREDENTIALS, ...config });
      clients.push(client);
      return client;
    },
    taggingClient(config: Partial<ResourceGroupsTaggingAPIClientConfig> = {}): ResourceGroupsTaggingAPIClient {
      const client = new ResourceGroupsTaggingAPIClient({ region, endpoint: server.endpoint, credentials: DUMMY_CREDENTIALS, ...config });
      clients.push(client);
      return client;
    },
    async stop(): Promise<void> {
      for (const c of clients.splice(0)) {
        c.destroy();
      }
      await server.close();
    },
  };
}
