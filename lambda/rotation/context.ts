/**
 * What every step needs: the KMS gateway, a clock, a logger, and the lease that
 * tells a live run from a dead one.
 */
import { KmsGateway } from './kms-gateway';

/** A structured logger; Powertools' Logger fits it. */
export interface Log {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface Deps {
  readonly kms: KmsGateway;
  readonly now: () => Date;
  readonly log: Log;
  /** A claim younger than this belongs to a run that may still be alive. */
  readonly leaseMs: number;
  /** Waits in real time (a stack update waiting for a live rotation). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Longer than the function's timeout (5 minutes), so a live run is never taken over. */
export const DEFAULT_LEASE_MS = 15 * 60 * 1000;

/** Runs one step and logs one JSON line for it: name, attributes, duration, outcome. */
export async function step<T>(d: Deps, name: string, attributes: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    d.log.info(`step ${name}`, { step: name, ...attributes, durationMs: Date.now() - started, outcome: 'ok' });
    return result;
  } catch (e) {
    d.log.error(`step ${name} failed`, {
      step: name,
      ...attributes,
      durationMs: Date.now() - started,
      outcome: 'failed',
      errorName: e instanceof Error ? e.name : 'Error',
      errorMessage: e instanceof Error ? e.message : String(e),
    });
    throw e;
  }
}
