/**
 * Connection and request time-outs of every SDK client the functions and the
 * CLI make. Without them one connection that is accepted and never answered
 * holds a call until the SDK's 5-minute socket default (the whole run, with
 * retries). A call that times out is retried by the SDK on a fresh
 * connection, like a 5xx. Given as the client's `requestHandler` options,
 * so no HTTP handler is imported into the bundle.
 */

export interface ClientTimeouts {
  /** Longest the TCP (and TLS) connection may take to open. */
  readonly connectionMs: number;
  /** Longest one attempt may take from sending the request to the end of the answer. */
  readonly requestMs: number;
}

/** In-region endpoints connect in milliseconds: 3 s is a lost SYN retransmitted twice, not a slow service. */
const CONNECT_MS = 3_000;

/**
 * KMS answers in milliseconds; ImportKeyMaterial or GenerateMac under load in
 * a second or two. 10 s is five times that; a black-holed KMS endpoint costs
 * at most 8 attempts of it (about 1.5 minutes with backoff), well inside the
 * 10-minute lifecycle and 15-minute rotation time-outs.
 */
export const KMS_TIMEOUTS: ClientTimeouts = { connectionMs: CONNECT_MS, requestMs: 10_000 };
/** GetResources answers pages of up to 100 resources: slower than one KMS call. */
export const TAGGING_TIMEOUTS: ClientTimeouts = { connectionMs: CONNECT_MS, requestMs: 15_000 };
/** One item, strongly consistent reads and conditional writes: milliseconds; 5 attempts of 5 s stay under half a minute. */
export const DYNAMODB_TIMEOUTS: ClientTimeouts = { connectionMs: CONNECT_MS, requestMs: 5_000 };
/** One PutEvents entry per completed rotation. */
export const EVENTBRIDGE_TIMEOUTS: ClientTimeouts = { connectionMs: CONNECT_MS, requestMs: 5_000 };
/** Escrow objects are a few KB: PutObject, GetObject and their tagging. */
export const S3_TIMEOUTS: ClientTimeouts = { connectionMs: CONNECT_MS, requestMs: 15_000 };
/**
 * A material provider is bounded by the provider gateway's own time-out
 * (providerTimeoutMs, which answers with a clear MaterialProviderError); the
 * client's time-out is a backstop a little beyond it.
 */
export function providerTimeouts(providerTimeoutMs: number): ClientTimeouts {
  return { connectionMs: CONNECT_MS, requestMs: providerTimeoutMs + 10_000 };
}
/** The CLI invokes the rotation function synchronously: its answer may take as long as its 15-minute time-out. */
export const ROTATION_INVOKE_TIMEOUTS: ClientTimeouts = { connectionMs: CONNECT_MS, requestMs: 16 * 60_000 };

/** The `requestHandler` client option for these time-outs (a request that outlasts its time-out fails with TimeoutError). */
export function requestHandlerOf(t: ClientTimeouts): { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true } {
  return { connectionTimeout: t.connectionMs, requestTimeout: t.requestMs, throwOnRequestTimeout: true };
}
