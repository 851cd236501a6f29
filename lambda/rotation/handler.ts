/**
 * Entry logic: parse the event (refusing bad ones before any KMS call), then
 * dispatch to rotation or to the custom resource lifecycle.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DEFAULT_LEASE_MS, Deps, Log } from './context';
import { KmsGateway } from './kms-gateway';
import { CustomResourceResult, createGroup, deleteGroup, updateGroup } from './lifecycle';
import { parseRequest } from './requests';
import { rotate, RotationOutcome } from './rotate';

export interface HandlerOptions {
  /** @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_KMS is honoured) */
  readonly kms?: KMSClient;
  /** @default - a client from the standard SDK configuration */
  readonly tagging?: ResourceGroupsTaggingAPIClient;
  /** @default - the system clock */
  readonly now?: () => Date;
  readonly log: Log;
  /** @default 15 minutes */
  readonly leaseMs?: number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Retries with backoff for throttling (GetParametersForImport allows 1 request/s
 * by default) and 5xx answers; adaptive mode also slows the client down.
 */
export function defaultKmsClient(): KMSClient {
  return new KMSClient({ maxAttempts: 8, retryMode: 'adaptive' });
}

export function defaultTaggingClient(): ResourceGroupsTaggingAPIClient {
  return new ResourceGroupsTaggingAPIClient({ maxAttempts: 5, retryMode: 'adaptive' });
}

export type HandlerResult = RotationOutcome | CustomResourceResult;

export function createHandler(options: HandlerOptions): (event: unknown) => Promise<HandlerResult> {
  let deps: Deps | undefined;
  const depsOf = (): Deps => deps ??= {
    kms: new KmsGateway(options.kms ?? defaultKmsClient(), options.tagging ?? defaultTaggingClient()),
    now: options.now ?? (() => new Date()),
    log: options.log,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  return async (event: unknown) => {
    let request;
    try {
      request = parseRequest(event);
    } catch (e) {
      options.log.error('refused event', { errorName: e instanceof Error ? e.name : 'Error', errorMessage: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    const d = depsOf();
    switch (request.kind) {
      case 'rotate':
        return rotate(d, request);
      case 'create':
        return createGroup(d, request.spec);
      case 'update':
        return updateGroup(d, request.spec, request.oldAliasName, request.physicalResourceId);
      case 'delete':
        return deleteGroup(d, request);
    }
  };
}
