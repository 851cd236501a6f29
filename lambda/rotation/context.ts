/**
 * What every step needs: the KMS and ledger gateways, a clock, a logger, this
 * run's identity and lease, and a way to wait.
 */
import type { EscrowGateway } from './escrow';
import { KmsGateway } from './kms-gateway';
import { Ledger } from './ledger';
import { ProviderGateway } from './provider-gateway';
import { isOutwaited } from './retry';

/** A structured logger; Powertools' Logger fits it. */
export interface Log {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface Deps {
  readonly kms: KmsGateway;
  readonly ledger: Ledger;
  readonly now: () => Date;
  readonly log: Log;
  /** Identifies this run in the group's lock. */
  readonly runId: string;
  /** How long this run's lock holds without renewal (Session renews it while the run works; never past remainingMs plus a minute). */
  readonly leaseMs: number;
  /** Waits (backoff on eventually consistent answers, a stack update waiting for a lock). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds left before the function is stopped. */
  readonly remainingMs: () => number;
  /** Invokes material provider functions (KeyMaterialSource.fromFunction); absent where no import runs (the CLI). */
  readonly provider?: ProviderGateway;
  /** Writes and reads escrow objects (MaterialEscrow); absent where no import runs (the CLI). */
  readonly escrow?: EscrowGateway;
}

/**
 * The longest a lock holds past its last renewal. Every lease also ends at the latest a minute after the
 * function's own deadline (LEASE_MARGIN_MS; see session.ts): a run Lambda has stopped holds nobody out for long.
 * The lifecycle function (10-minute timeout) takes its whole run; the rotation function (15 minutes, most of
 * it for a fleet's queued imports) renews its lease while it works, so the lock of a run that died lapses
 * within ROTATION_LEASE_MS, and a stack update after it waits at most that long.
 */
export const LIFECYCLE_LEASE_MS = 11 * 60 * 1000;
export const ROTATION_LEASE_MS = 5 * 60 * 1000;

/** KMS's (and DynamoDB's) answer when a request quota is exhausted. */
export function isThrottling(e: unknown): boolean {
  const name = typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
  return ['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded'].includes(name);
}

/**
 * Throttling that outlasted the retries, or KMS answers still stale after all the run could wait:
 * nothing failed, a later run goes on (a rotation run ends cleanly; a lifecycle event fails, see handler.ts).
 */
export function isDeferred(e: unknown): boolean {
  return isThrottling(e) || isOutwaited(e);
}

/** Runs one step and logs one JSON line for it: name, attributes, duration, outcome. */
export async function step<T>(d: Deps, name: string, attributes: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    d.log.info(`step ${name}`, { step: name, ...attributes, durationMs: Date.now() - started, outcome: 'ok' });
    return result;
  } catch (e) {
    if ((e as { logged?: boolean }).logged) throw e;
    // Throttling that outlasted the SDK's retries, or staleness that outlasted the run, is not a failure: a later run continues the phase.
    const log = isDeferred(e) ? d.log.warn : d.log.error;
    log.call(d.log, `step ${name} ${isThrottling(e) ? 'throttled' : isOutwaited(e) ? 'outwaited stale reads' : 'failed'}`, {
      step: name,
      ...attributes,
      durationMs: Date.now() - started,
      outcome: 'failed',
      operation: (e as { operation?: string }).operation,
      errorName: e instanceof Error ? e.name : 'Error',
      errorMessage: e instanceof Error ? e.message : String(e),
      tampering: (e as { tampering?: string }).tampering,
    });
    // One ERROR line per failure: outer steps pass it on without logging it again.
    throw Object.assign(e as object, { logged: true });
  }
}
