/**
 * Faults a step of a history can carry, how they are armed on the simulator
 * (or the SDK client) for exactly one step, and how they are counted.
 */
import fc from 'fast-check';
import { ModelEnv, RETRYING_ATTEMPTS } from './env';
import { Handler } from '../rotation/harness';

/** Operations the function calls (KMS and the tagging API); `*` is every operation. */
export const FAULTABLE_OPERATIONS = [
  'DescribeKey', 'ListResourceTags', 'GetKeyPolicy', 'PutKeyPolicy', 'CreateKey', 'CreateAlias', 'UpdateAlias',
  'DeleteAlias', 'ListAliases', 'GetParametersForImport', 'ImportKeyMaterial', 'Encrypt', 'Decrypt', 'TagResource',
  'UntagResource', 'UpdateKeyDescription', 'ScheduleKeyDeletion', 'GetResources', '*',
] as const;

/** The kinds every history space includes. */
export const FAULT_KINDS = ['throttle', '5xx', 'crash', 'token-expiry', 'concurrent'] as const;
/** Opt-in (`lostResponses`): an answer lost after the operation took effect. */
export const ALL_FAULT_KINDS = [...FAULT_KINDS, 'lost-response'] as const;
export type FaultKind = typeof ALL_FAULT_KINDS[number];

/** A fault of one invocation (`concurrent` is a command of its own). */
export type Fault =
  | { readonly kind: 'none' }
  /** The next `times` calls of `op` are throttled; the handler retries (maxAttempts 3). */
  | { readonly kind: 'throttle'; readonly op: string; readonly times: number }
  /** The next `times` calls of `op` answer 500; the handler retries (maxAttempts 3). */
  | { readonly kind: '5xx'; readonly op: string; readonly times: number }
  /** The function dies after its `after`-th call: every later call fails and nothing is retried. */
  | { readonly kind: 'crash'; readonly after: number }
  /** The clock jumps 25 h before each of the next `times` ImportKeyMaterial calls, so their token has expired. */
  | { readonly kind: 'token-expiry'; readonly times: number }
  /** The next successful answer of `op` is lost: it took effect, the SDK sees a 500 and retries. */
  | { readonly kind: 'lost-response'; readonly op: string };

export const NO_FAULT: Fault = { kind: 'none' };

/** Operations whose answer can be lost (writes: retrying them is where it matters). */
export const LOSABLE_OPERATIONS = [
  'CreateKey', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ImportKeyMaterial', 'PutKeyPolicy', 'TagResource', 'UntagResource',
  'UpdateKeyDescription', 'ScheduleKeyDeletion',
] as const;

export function faultArbitrary(o: { lostResponses?: boolean } = {}): fc.Arbitrary<Fault> {
  const op = fc.constantFrom(...FAULTABLE_OPERATIONS);
  const times = fc.integer({ min: 1, max: RETRYING_ATTEMPTS });
  const lost = o.lostResponses
    ? [{ weight: 2, arbitrary: fc.record({ kind: fc.constant('lost-response' as const), op: fc.constantFrom(...LOSABLE_OPERATIONS) }) }]
    : [];
  return fc.oneof(
    ...lost,
    { weight: 5, arbitrary: fc.constant(NO_FAULT) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('throttle' as const), op, times }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('5xx' as const), op, times }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), after: fc.integer({ min: 0, max: 20 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('token-expiry' as const), times: fc.integer({ min: 1, max: 2 }) }) },
  );
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'none': return '';
    case 'throttle': return ` [throttle ${f.op} x${f.times}]`;
    case '5xx': return ` [5xx ${f.op} x${f.times}]`;
    case 'crash': return ` [dies after call ${f.after}]`;
    case 'token-expiry': return ` [import token expires x${f.times}]`;
    case 'lost-response': return ` [answer of ${f.op} lost]`;
  }
}

/** Arms `f` for one invocation and returns the handler that must run it. */
export function armFault(env: ModelEnv, f: Fault): Handler {
  const faults = env.h.sim.faults;
  switch (f.kind) {
    case 'none':
      return env.retrying;
    case 'throttle':
      faults.throttle(f.op, f.times);
      return env.retrying;
    case '5xx':
      faults.serverError(f.op, f.times);
      return env.retrying;
    case 'crash':
      faults.failAfter(f.after);
      return env.dying;
    case 'token-expiry':
      env.tokenExpiriesArmed = f.times;
      return env.retrying;
    case 'lost-response':
      env.lostResponseArmed = f.op;
      return env.retrying;
  }
}

export function disarmFaults(env: ModelEnv): void {
  env.h.sim.faults.clear();
  env.tokenExpiriesArmed = 0;
  env.lostResponseArmed = undefined;
}

/** Did the fault change anything in the calls from `from` on (an injected error answered, a token jump, a lost answer)? */
export function faultFired(env: ModelEnv, f: Fault, from: number, jumpsBefore: { tokens: number; lost: number }): boolean {
  const calls = env.h.sim.calls.list().slice(from);
  switch (f.kind) {
    case 'none': return false;
    case 'throttle': return calls.some((c) => c.error === 'ThrottlingException' || c.error === 'ThrottledException');
    case '5xx':
    case 'crash': return calls.some((c) => c.error === 'KMSInternalException' || c.error === 'InternalServiceException');
    case 'token-expiry': return env.tokenExpiriesFired > jumpsBefore.tokens;
    case 'lost-response': return env.lostResponsesFired > jumpsBefore.lost;
  }
}

export class FaultCounter {
  readonly injected: Record<FaultKind, number> = { 'throttle': 0, '5xx': 0, 'crash': 0, 'token-expiry': 0, 'concurrent': 0, 'lost-response': 0 };
  readonly fired: Record<FaultKind, number> = { 'throttle': 0, '5xx': 0, 'crash': 0, 'token-expiry': 0, 'concurrent': 0, 'lost-response': 0 };

  count(kind: FaultKind, fired: boolean): void {
    this.injected[kind] += 1;
    if (fired) this.fired[kind] += 1;
  }

  add(other: FaultCounter): void {
    for (const k of ALL_FAULT_KINDS) {
      this.injected[k] += other.injected[k];
      this.fired[k] += other.fired[k];
    }
  }

  total(): number {
    return ALL_FAULT_KINDS.reduce((n, k) => n + this.injected[k], 0);
  }

  /** `throttle=3 (fired 2), 5xx=...` (the opt-in kinds only when injected). */
  breakdown(): string {
    return ALL_FAULT_KINDS.filter((k) => (FAULT_KINDS as readonly string[]).includes(k) || this.injected[k] > 0)
      .map((k) => `${k}=${this.injected[k]} (fired ${this.fired[k]})`).join(', ');
  }
}
