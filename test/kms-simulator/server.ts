/**
 * HTTP front end of the simulator: AWS JSON 1.1 protocol on 127.0.0.1.
 *
 * `POST /` with `X-Amz-Target: <service>.<Operation>`; request and response bodies are JSON,
 * blobs are base64 strings and timestamps epoch seconds. Errors are answered with
 * `{"__type": "<ErrorName>", "message": "..."}` and status 400 (client) or 500 (server).
 * Signatures are not verified; in the authorization mode the access key id of the
 * `Authorization` header identifies the caller.
 *
 * A request goes through: caller identification (authorization mode), injected faults,
 * request quotas, the operation's read view (consistency mode), authorization, the handler,
 * and finally the recording of what it changed in the change history.
 */
import { randomUUID } from 'crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import type { Authorizer } from './authorizer';
import type { CallLog } from './calls';
import type { ConsistencyModel } from './consistency';
import { SimError } from './errors';
import { EVENTBRIDGE_TARGET_PREFIX, EventBridgeSim } from './eventbridge';
import type { FaultInjector } from './faults';
import { KMS_HANDLERS, TAGGING_HANDLERS } from './handlers';
import type { Handler, HandlerContext } from './handlers';
import type { Caller } from './identity';
import { Input, JsonObject } from './input';
import type { QuotaLimiter } from './quotas';
import type { ResponseDate } from './response-date';
import type { SimStore } from './store';
import { toWire } from './wire';
import type { WrappingKeySource } from './wrapping-key-source';

export { toWire } from './wire';

const KMS_TARGET_PREFIX = 'TrentService.';
const TAGGING_TARGET_PREFIX = 'ResourceGroupsTaggingAPI_20170126.';

type Service = 'kms' | 'tagging' | 'events';

export interface ServerDeps {
  readonly store: SimStore;
  readonly wrappingKeys: WrappingKeySource;
  readonly faults: FaultInjector;
  readonly calls: CallLog;
  readonly responseDate: ResponseDate;
  readonly consistency?: ConsistencyModel;
  readonly authorizer?: Authorizer;
  readonly quotas?: QuotaLimiter;
  /** Answers `AWSEvents.*` (eventbridge.ts). */
  readonly eventBridge?: EventBridgeSim;
}

export interface RunningServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, date: string | undefined): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
    ...(date !== undefined ? { Date: date } : {}),
  });
  res.end(payload);
}

function throttled(service: Service): SimError {
  return service === 'kms'
    ? new SimError('ThrottlingException', 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.')
    : new SimError('ThrottledException', 'Rate exceeded');
}

function faultError(service: Service, fault: 'throttle' | 'server-error'): SimError {
  if (fault === 'throttle') {
    return service === 'kms'
      ? new SimError('ThrottlingException', 'Rate exceeded')
      : new SimError('ThrottledException', 'Rate exceeded');
  }
  if (service === 'events') return new SimError('InternalException', 'An internal error occurred (injected fault).', 500);
  return service === 'kms'
    ? new SimError('KMSInternalException', 'An internal error occurred (injected fault).', 500)
    : new SimError('InternalServiceException', 'An internal error occurred (injected fault).', 500);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function dispatch(deps: ServerDeps, req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const body = await readBody(req);
  const target = String(req.headers['x-amz-target'] ?? '');
  let service: Service | undefined;
  let op = target;
  if (target.startsWith(KMS_TARGET_PREFIX)) {
    service = 'kms';
    op = target.slice(KMS_TARGET_PREFIX.length);
  } else if (target.startsWith(TAGGING_TARGET_PREFIX)) {
    service = 'tagging';
    op = target.slice(TAGGING_TARGET_PREFIX.length);
  } else if (target.startsWith(EVENTBRIDGE_TARGET_PREFIX) && deps.eventBridge) {
    service = 'events';
    op = target.slice(EVENTBRIDGE_TARGET_PREFIX.length);
  }
  let request: JsonObject = {};
  try {
    if (req.method !== 'POST') {
      throw new SimError('UnknownOperationException', `Unsupported method ${req.method}`);
    }
    if (body.trim().length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new SimError('SerializationException', 'Request body is not valid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new SimError('SerializationException', 'Request body must be a JSON object');
      }
      request = parsed as JsonObject;
    }
    // Apply due expiries/deletions before looking at the request.
    const now = deps.store.now();
    const caller: Caller | undefined = deps.authorizer?.identify(headerValue(req.headers.authorization));
    const fault = deps.faults.check(op || '<none>');
    if (fault) {
      throw faultError(service ?? 'kms', fault);
    }
    if (service === 'events') {
      const output = deps.eventBridge!.handle(op, request, Buffer.byteLength(body),
        deps.authorizer && caller ? { caller, decisions: deps.authorizer.decisions } : undefined);
      // Not in the call log, which counts KMS and tagging calls.
      return { status: 200, body: output };
    }
    const registry = service === 'kms' ? KMS_HANDLERS : service === 'tagging' ? TAGGING_HANDLERS : undefined;
    const handler: Handler | undefined = registry && Object.prototype.hasOwnProperty.call(registry, op) ? registry[op] : undefined;
    if (!handler) {
      throw new SimError('UnknownOperationException', `Unknown operation ${target || '(missing X-Amz-Target)'}`);
    }
    if (deps.quotas && !deps.quotas.admit(caller?.account ?? deps.store.accountId, op)) {
      throw throttled(service ?? 'kms');
    }
    const ctx: HandlerContext = {
      store: deps.store,
      wrappingKeys: deps.wrappingKeys,
      view: deps.consistency ? deps.consistency.viewFor(op, now) : deps.store.live,
    };
    const input = new Input(request);
    let output: unknown;
    try {
      if (deps.authorizer && caller) {
        deps.authorizer.authorize(op, caller, ctx, input);
      }
      output = deps.consistency ? await deps.consistency.answer(op, handler, ctx, input) : await handler(ctx, input);
      deps.consistency?.noteOutcome(op, ctx.view, undefined);
    } catch (err) {
      deps.consistency?.noteOutcome(op, ctx.view, err);
      throw err;
    } finally {
      deps.store.commitChanges();
    }
    deps.calls.record(op || '<none>', request, true);
    return { status: 200, body: deps.faults.corrupt(op, toWire(output)) };
  } catch (err) {
    const simErr = err instanceof SimError
      ? err
      : new SimError(service === 'tagging' ? 'InternalServiceException' : 'KMSInternalException', `Internal error: ${(err as Error).message}`, 500);
    if (service !== 'events') deps.calls.record(op || '<none>', request, false, simErr.code);
    return { status: simErr.status, body: simErr.toBody() };
  }
}

/** Starts the HTTP server on 127.0.0.1 and a free port. */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    dispatch(deps, req).then(
      ({ status, body }) => send(res, status, body, deps.responseDate.header()),
      (err: Error) => send(res, 500, { __type: 'KMSInternalException', message: err.message }, deps.responseDate.header()),
    );
  });
  // An idle keep-alive connection stays open until the client or close() ends it: with Node's default (5 s of real
  // time), a test that pauses longer on a loaded machine races the server's close with its next request (ECONNRESET).
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
