/**
 * The two entry points: parse the event (refusing bad ones before any KMS or
 * ledger call), then dispatch. The lifecycle entry point takes CloudFormation
 * events only; the rotation entry point takes rotate-if-due / rotate-now only.
 */
import { randomUUID } from 'node:crypto';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ClientTimeouts, DYNAMODB_TIMEOUTS, EVENTBRIDGE_TIMEOUTS, KMS_TIMEOUTS, providerTimeouts, requestHandlerOf, S3_TIMEOUTS, TAGGING_TIMEOUTS,
} from './client-timeouts';
import { Deps, isDeferred, LIFECYCLE_LEASE_MS, Log, ROTATION_LEASE_MS } from './context';
import { defaultMetrics } from './emf-metrics';
import { enableGenerationRequest } from './enable-generation';
import { LedgerTamperedError } from './errors';
import { EscrowGateway } from './escrow';
import { KmsGateway } from './kms-gateway';
import { lambdaSdk } from './lambda-sdk';
import { Ledger } from './ledger';
import { createGroup, CustomResourceResult, deleteGroup, updateGroup } from './lifecycle';
import { nameOperations } from './operation-names';
import { DEFAULT_PROVIDER_TIMEOUT_MS, ProviderGateway } from './provider-gateway';
import { reportedRotation } from './reported-rotation';
import { isSweepEvent, LifecycleRequest, parseLifecycleRequest, parseRotationRequest, parseSweepRequest } from './requests';
import { RotationOutcome } from './rotate';
import { s3Sdk } from './s3-sdk';
import { SealGateway, SealKeys } from './seal-gateway';
import { scheduledSweep, sweepDeadCreates, SweepOutcome } from './sweep';

export interface HandlerOptions {
  /** @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_KMS is honoured) */
  readonly kms?: KMSClient;
  /** @default - a client from the standard SDK configuration */
  readonly tagging?: ResourceGroupsTaggingAPIClient;
  /**
   * The client for CreateKey and GetParametersForImport, which the phases retry themselves.
   * @default - `kms` when given, else one attempt per call
   */
  readonly once?: KMSClient;
  /** @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_DYNAMODB is honoured) */
  readonly dynamodb?: DynamoDBClient;
  /** @default - the LEDGER_TABLE_NAME environment variable */
  readonly tableName?: string;
  /**
   * The stack's seal keys (docs/security-model.md): every ledger entry is verified on read and sealed on write.
   * @default - the SETTINGS_SEAL_KEY_ARN and STATE_SEAL_KEY_ARN environment variables
   */
  readonly sealKeys?: SealKeys;
  /**
   * The stack the lifecycle function belongs to: CloudFormation events of any other stack are refused.
   * @default - the STACK_ID environment variable; no check when it is not set
   */
  readonly stackId?: string;
  /** @default - the system clock */
  readonly now?: () => Date;
  readonly log: Log;
  /**
   * How long a run's lock holds without renewal; never past the invocation's deadline plus a minute.
   * @default - 11 minutes (lifecycle: a minute longer than its timeout), 5 minutes (rotation, renewed while it works)
   */
  readonly leaseMs?: number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Makes the Metrics of one rotation run (its EMF line goes to stdout).
   * @default - Powertools Metrics in the `RotatingImportedKey` namespace
   */
  readonly metrics?: () => Metrics;
  /** @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_EVENTBRIDGE is honoured) */
  readonly events?: EventBridgeClient;
  /**
   * The bus the rotation events go to (name or ARN).
   * @default - the EVENT_BUS_NAME environment variable, else the account's default bus
   */
  readonly eventBusName?: string;
  /**
   * The client that invokes material provider functions (KeyMaterialSource.fromFunction).
   * @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_LAMBDA is honoured), made at its first use
   */
  readonly lambda?: LambdaClient;
  /**
   * The longest a material provider may take to answer (less when the function has less time left).
   * @default - 60 seconds (DEFAULT_PROVIDER_TIMEOUT_MS)
   */
  readonly providerTimeoutMs?: number;
  /**
   * The client that writes and reads escrow objects (MaterialEscrow).
   * @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_S3 is honoured), made at its first use
   */
  readonly s3?: S3Client;
  /**
   * The connection and request time-outs of every client the function makes itself (not of clients given here).
   * @default - per service, see client-timeouts.ts
   */
  readonly clientTimeouts?: ClientTimeouts;
}

/** What Lambda passes as the second argument (only what the function uses). */
export interface InvocationContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/**
 * Retries with backoff for throttling (GetParametersForImport allows 1 request/s
 * by default) and 5xx answers; adaptive mode also slows the client down.
 */
export function defaultKmsClient(timeouts = KMS_TIMEOUTS): KMSClient {
  return new KMSClient({ maxAttempts: 8, retryMode: 'adaptive', requestHandler: requestHandlerOf(timeouts) });
}

/** One attempt per call: the phases retry throttled calls themselves, and never a CreateKey that may have happened. */
export function defaultSingleAttemptClient(timeouts = KMS_TIMEOUTS): KMSClient {
  return new KMSClient({ maxAttempts: 1, requestHandler: requestHandlerOf(timeouts) });
}

export function defaultTaggingClient(timeouts = TAGGING_TIMEOUTS): ResourceGroupsTaggingAPIClient {
  return new ResourceGroupsTaggingAPIClient({ maxAttempts: 5, retryMode: 'adaptive', requestHandler: requestHandlerOf(timeouts) });
}

export function defaultDynamoDbClient(timeouts = DYNAMODB_TIMEOUTS): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 5, requestHandler: requestHandlerOf(timeouts) });
}

/** A provider that failed is reported, not retried within the run: the next run asks again. */
export function defaultLambdaClient(timeouts = providerTimeouts(DEFAULT_PROVIDER_TIMEOUT_MS)): LambdaClient {
  const { LambdaClient: Client } = lambdaSdk();
  return new Client({ maxAttempts: 2, requestHandler: requestHandlerOf(timeouts) });
}

export function defaultS3Client(timeouts = S3_TIMEOUTS): S3Client {
  const { S3Client: Client } = s3Sdk();
  return new Client({ maxAttempts: 3, requestHandler: requestHandlerOf(timeouts) });
}

export function defaultEventBridgeClient(timeouts = EVENTBRIDGE_TIMEOUTS): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 5, requestHandler: requestHandlerOf(timeouts) });
}

type Entry<R> = (event: unknown, context?: InvocationContext) => Promise<R>;

/** Deploy authority (the lifecycle) accepts an unsealed ledger entry and seals it; the rotation function refuses one. */
type Authority = 'deploy' | 'rotation';

function entryPoint<Q, R>(
  options: HandlerOptions, authority: Authority, defaultLeaseMs: number, parse: (event: unknown) => Q, run: (d: Deps, request: Q) => Promise<R>,
): Entry<R> {
  let shared: Omit<Deps, 'runId' | 'remainingMs'> | undefined;
  const sharedDeps = () => shared ??= depsOf(options, authority, defaultLeaseMs);
  return async (event, context) => {
    let request: Q;
    try {
      request = parse(event);
    } catch (e) {
      options.log.error('refused event', { errorName: e instanceof Error ? e.name : 'Error', errorMessage: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    const runId = context?.awsRequestId ?? randomUUID();
    const remainingMs = () => context?.getRemainingTimeInMillis?.() ?? Number.MAX_SAFE_INTEGER;
    return run({ ...sharedDeps(), runId, remainingMs }, request);
  };
}

function depsOf(options: HandlerOptions, authority: Authority, defaultLeaseMs: number): Omit<Deps, 'runId' | 'remainingMs'> {
  const t = options.clientTimeouts;
  const kms = options.kms ?? defaultKmsClient(t);
  return {
    kms: new KmsGateway(
      kms,
      options.tagging ?? defaultTaggingClient(t),
      options.once ?? (options.kms ? undefined : defaultSingleAttemptClient(t)),
    ),
    ledger: new Ledger(nameOperations(options.dynamodb ?? defaultDynamoDbClient(t), 'dynamodb'), tableNameOf(options), {
      seal: new SealGateway(kms, sealKeysOf(options)),
      acceptUnsealed: authority === 'deploy',
      onUnsealed: (groupId) => options.log.warn('the ledger entry carries no seal of this stack\'s keys; this deploy seals it with the deployed settings', { group: groupId }),
    }),
    now: options.now ?? (() => new Date()),
    log: options.log,
    leaseMs: options.leaseMs ?? defaultLeaseMs,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    provider: new ProviderGateway(
      () => nameOperations(options.lambda ?? defaultLambdaClient(t ?? providerTimeouts(options.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS)), 'lambda'),
      options.providerTimeoutMs,
    ),
    escrow: new EscrowGateway(() => options.s3 ?? defaultS3Client(t)),
  };
}

function sealKeysOf(options: HandlerOptions): SealKeys {
  if (options.sealKeys) return options.sealKeys;
  const settings = process.env.SETTINGS_SEAL_KEY_ARN;
  const state = process.env.STATE_SEAL_KEY_ARN;
  if (!settings || !state) throw new Error('SETTINGS_SEAL_KEY_ARN and STATE_SEAL_KEY_ARN are not set: the function cannot verify its ledger');
  return { settings, state };
}

function tableNameOf(options: HandlerOptions): string {
  const name = options.tableName ?? process.env.LEDGER_TABLE_NAME;
  if (!name) throw new Error('LEDGER_TABLE_NAME is not set: the function does not know its ledger table');
  return name;
}

export function createRotationHandler(options: HandlerOptions): Entry<RotationOutcome> {
  let events: EventBridgeClient | undefined;
  const reporting = () => ({
    metrics: options.metrics ?? defaultMetrics,
    events: events ??= nameOperations(options.events ?? defaultEventBridgeClient(options.clientTimeouts), 'events'),
    eventBusName: options.eventBusName ?? (process.env.EVENT_BUS_NAME || undefined),
  });
  return entryPoint(options, 'rotation', ROTATION_LEASE_MS, parseRotationRequest, (d, request) => (request.enableGeneration !== undefined
    ? enableGenerationRequest(d, request)
    : reportedRotation(d, request, reporting())));
}

/** The per-stack schedule's `{"action":"sweep"}` (sweep.ts), with the rotation function's role and lease. */
export function createSweepHandler(options: HandlerOptions): Entry<SweepOutcome> {
  return entryPoint(options, 'rotation', ROTATION_LEASE_MS, parseSweepRequest, (d) => scheduledSweep(d));
}

/** The rotation function as deployed: the sweep for `{"action":"sweep"}`, a rotation request otherwise. */
export function createRotationFunctionHandler(options: HandlerOptions): Entry<RotationOutcome | SweepOutcome> {
  const rotate = createRotationHandler(options);
  const sweep = createSweepHandler(options);
  return (event, context) => (isSweepEvent(event) ? sweep(event, context) : rotate(event, context));
}

/**
 * Every lifecycle event first sweeps the stack's dead Creates (sweep.ts), but not the group a Create or a
 * replacing Update of this event makes: that one resumes its own entry. The sweep never fails the event.
 */
async function sweepBefore(d: Deps, request: LifecycleRequest): Promise<void> {
  const own = request.kind === 'delete' ? undefined : request.settings.groupId;
  await sweepDeadCreates(d, own).catch((e: unknown) => {
    d.log.warn('sweep of dead Creates did not run; the next lifecycle event tries again', { errorName: (e as Error).name, errorMessage: (e as Error).message });
  });
}

export function createLifecycleHandler(options: HandlerOptions): Entry<CustomResourceResult> {
  const stackId = options.stackId ?? process.env.STACK_ID;
  const parse = (event: unknown) => parseLifecycleRequest(event, stackId);
  return entryPoint(options, 'deploy', LIFECYCLE_LEASE_MS, parse, async (d, request) => {
    await sweepBefore(d, request);
    try {
      switch (request.kind) {
        case 'create':
          return await createGroup(d, request.settings);
        case 'update':
          return await updateGroup(d, request.settings, request.oldAliasName, request.physicalResourceId, request.oldTagKeys);
        case 'delete':
          return await deleteGroup(d, request);
      }
    } catch (e) {
      // A step logged its own failure; a ledger that failed verification before any step is logged here, once.
      if (e instanceof LedgerTamperedError && !(e as { logged?: boolean }).logged) {
        d.log.error('lifecycle refused: the ledger failed verification', { group: e.groupId, errorName: e.name, errorMessage: e.message, tampering: e.tampering });
      }
      // A step logs throttling and outwaited staleness as warnings (a rotation run ends cleanly on them); a stack operation fails.
      if (isDeferred(e)) d.log.error('lifecycle failed: KMS throttled or stale beyond this function\'s time', { errorName: (e as Error).name, errorMessage: (e as Error).message });
      throw e;
    }
  });
}
