/**
 * The SDK's retry backoff on the simulator's clock: a retry strategy (the SDK's RetryStrategyV2) that moves the
 * simulated clock by each backoff delay and lets the SDK retry at once. With quotas on simulated time, a throttled
 * call's retries see the quota refill as they would in real time, and nothing waits for real time to pass.
 *
 * The delays are the standard retry mode's without its jitter (deterministic): 100 ms doubled per retry, 500 ms
 * doubled for throttling, at most 20 s. Retries what the standard mode retries: throttling, transient and server errors.
 */
import { SimClock } from './clock';

const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;
const RETRYABLE = new Set(['THROTTLING', 'TRANSIENT', 'SERVER_ERROR']);

/** The parts of the SDK's RetryErrorInfo and RetryToken this strategy uses. */
interface ErrorInfo { readonly errorType: string }
interface Token { getRetryCount(): number; getRetryDelay(): number }

const token = (count: number): Token => ({ getRetryCount: () => count, getRetryDelay: () => 0 });

export class SimulatedBackoff {
  readonly mode = 'standard';

  constructor(private readonly clock: SimClock, private readonly maxAttemptsProvider: number | (() => Promise<number>)) {}

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0);
  }

  async refreshRetryTokenForRetry(previous: Token, errorInfo: ErrorInfo): Promise<Token> {
    const retries = previous.getRetryCount();
    if (!RETRYABLE.has(errorInfo.errorType) || retries + 1 >= await this.maxAttempts()) {
      throw new Error('no retry left');
    }
    const base = errorInfo.errorType === 'THROTTLING' ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
    this.clock.advance(Math.min(MAX_DELAY_MS, base * 2 ** retries));
    return token(retries + 1);
  }

  recordSuccess(_token: Token): void {}

  async maxAttempts(): Promise<number> {
    return typeof this.maxAttemptsProvider === 'number' ? this.maxAttemptsProvider : this.maxAttemptsProvider();
  }
}
