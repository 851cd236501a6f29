/**
 * The environment the model histories run in: ONE simulator (through the
 * rotation test harness), the rotation function built three times over it
 * (two handlers that retry like the SDK, one that dies at the first failed
 * call), and the fault controls the commands arm for one step at a time.
 *
 * The retrying handlers use the SDK's retry decision (throttling and 5xx
 * answers are retried up to `maxAttempts`) with no backoff: the backoff is
 * real time, irrelevant to the simulated clock, and would make hundreds of
 * histories take minutes.
 */
import { KMSClient, KMSClientConfig, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { createHandler } from '../../lambda/rotation/handler';
import { MS_PER_DAY, MS_PER_HOUR } from '../kms-simulator';
import { Handler, Harness } from '../rotation/harness';

/** SDK attempts per call of the retrying handlers. */
export const RETRYING_ATTEMPTS = 3;
/** Lease of the rotation function (its default: 15 minutes). */
export const LEASE_MS = 15 * 60 * 1000;
/** How far the clock jumps when an import token is made to expire inside a run. */
export const TOKEN_EXPIRY_JUMP_MS = 25 * MS_PER_HOUR;

type RetryStrategyV2 = Extract<NonNullable<KMSClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;

/** The SDK's standard retry decision (throttling and transient errors, up to maxAttempts), without waiting. */
export function immediateRetries(maxAttempts: number): RetryStrategyV2 {
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (t, info) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (retryable && t.getRetryCount() + 1 < maxAttempts) return token(t.getRetryCount() + 1);
      throw new Error('No retry token available');
    },
    recordSuccess: () => undefined,
  };
}

export class ModelEnv {
  static async start(): Promise<ModelEnv> {
    return new ModelEnv(await Harness.start());
  }

  /** Import tokens still to expire: each of the function's next ImportKeyMaterial calls first moves the clock past the token's 24 h. */
  tokenExpiriesArmed = 0;
  tokenExpiriesFired = 0;
  /** Operation whose next successful answer is lost (it took effect; the caller sees a 500 and the SDK retries). */
  lostResponseArmed: string | undefined;
  lostResponsesFired = 0;

  /** Retries like the SDK (maxAttempts 3). */
  readonly retrying: Handler;
  /** A second, independent invocation of the same function (concurrency). */
  readonly retryingTwin: Handler;
  /** maxAttempts 1: the first failed call ends the run, as a function that dies. */
  readonly dying: Handler;

  private readonly clients: Array<{ destroy(): void }> = [];

  private constructor(readonly h: Harness) {
    const retryingKms = this.kmsClient(RETRYING_ATTEMPTS);
    const retryingTagging = this.taggingClient(RETRYING_ATTEMPTS);
    const dyingKms = this.kmsClient(1);
    const dyingTagging = this.taggingClient(1);
    // Real waits kept short: the simulated clock does not move while a stack update waits for a rotation.
    const base = { now: () => h.sim.clock.now(), log: h.log, leaseMs: LEASE_MS, sleep: () => new Promise<void>((r) => setTimeout(r, 2)) };
    this.retrying = createHandler({ ...base, kms: retryingKms, tagging: retryingTagging });
    this.retryingTwin = createHandler({ ...base, kms: retryingKms, tagging: retryingTagging });
    this.dying = createHandler({ ...base, kms: dyingKms, tagging: dyingTagging });
  }

  /** Forgets faults, calls and log lines of the previous history and sets the clock to `start`. */
  beginHistory(start: Date): void {
    this.h.sim.faults.clear();
    this.tokenExpiriesArmed = 0;
    this.lostResponseArmed = undefined;
    this.h.sim.clock.set(start);
    this.h.sim.calls.reset();
    this.h.log.lines.length = 0;
  }

  /**
   * Schedules every remaining key for deletion and lets the windows pass, so
   * the simulator holds (almost) nothing from this history when the next begins.
   */
  async endHistory(): Promise<void> {
    this.h.sim.faults.clear();
    this.tokenExpiriesArmed = 0;
    this.lostResponseArmed = undefined;
    for (const k of this.h.sim.state.keys()) {
      if (k.state === 'PendingDeletion') continue;
      await this.h.kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.id, PendingWindowInDays: 7 }));
    }
    this.h.sim.clock.advance(31 * MS_PER_DAY);
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    await this.h.stop();
  }

  private kmsClient(maxAttempts: number): KMSClient {
    const client = this.h.sim.client({ maxAttempts, retryStrategy: immediateRetries(maxAttempts) });
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'ImportKeyMaterialCommand' && this.tokenExpiriesArmed > 0) {
        this.tokenExpiriesArmed -= 1;
        this.tokenExpiriesFired += 1;
        this.h.sim.clock.advance(TOKEN_EXPIRY_JUMP_MS);
      }
      return next(args);
    }, { step: 'initialize', name: 'modelTokenExpiry' });
    this.loseResponses(client);
    this.clients.push(client);
    return client;
  }

  private taggingClient(maxAttempts: number): ResourceGroupsTaggingAPIClient {
    const client = this.h.sim.taggingClient({ maxAttempts, retryStrategy: immediateRetries(maxAttempts) });
    this.loseResponses(client);
    this.clients.push(client);
    return client;
  }

  /**
   * Below the retry middleware: after the simulator applied the operation, the
   * answer is replaced by a 500, as when a response is lost on the way back.
   * The SDK then retries an operation that already took effect.
   */
  private loseResponses(client: KMSClient | ResourceGroupsTaggingAPIClient): void {
    (client as KMSClient).middlewareStack.add((next, context) => async (args) => {
      const out = await next(args);
      if (this.lostResponseArmed !== undefined && context.commandName === `${this.lostResponseArmed}Command`) {
        this.lostResponseArmed = undefined;
        this.lostResponsesFired += 1;
        throw Object.assign(new Error('the response was lost after the operation took effect (injected fault)'), {
          name: 'KMSInternalException', $fault: 'server', $metadata: { httpStatusCode: 500 },
        });
      }
      return out;
    }, { step: 'deserialize', name: 'modelLostResponse' });
  }
}
