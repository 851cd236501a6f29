/**
 * Faults a step of a history can carry, how they are armed for exactly one
 * invocation (on the simulator, or in the function's slot), and how they are
 * counted.
 */
import fc from 'fast-check';
import { ModelEnv, RETRYING_ATTEMPTS, Slot, SlotPlan } from './env';

/** KMS and tagging operations the functions call; `*` is every operation. */
export const FAULTABLE_OPERATIONS = [
  'DescribeKey', 'ListResourceTags', 'GetKeyPolicy', 'PutKeyPolicy', 'CreateKey', 'CreateAlias', 'UpdateAlias',
  'DeleteAlias', 'GetParametersForImport', 'ImportKeyMaterial', 'Encrypt', 'Decrypt', 'TagResource',
  'UntagResource', 'UpdateKeyDescription', 'ScheduleKeyDeletion', 'GetResources', '*',
] as const;

/** Writes whose answer can be lost after they took effect (opt-in). */
export const LOSABLE_OPERATIONS = [
  'CreateKey', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ImportKeyMaterial', 'PutKeyPolicy', 'TagResource', 'UntagResource',
  'UpdateKeyDescription', 'ScheduleKeyDeletion',
] as const;

/** Every kind the default history space injects (`concurrent` is a command of its own). */
export const FAULT_KINDS = ['throttle', '5xx', 'fail', 'crash', 'token-expiry', 'concurrent'] as const;
export const ALL_FAULT_KINDS = [...FAULT_KINDS, 'lost-response'] as const;
export type FaultKind = typeof ALL_FAULT_KINDS[number];

export type Fault =
  | { readonly kind: 'none' }
  /** The next `times` calls of `op` are throttled; the function's SDK retries (3 attempts). */
  | { readonly kind: 'throttle'; readonly op: string; readonly times: number }
  /** The next `times` calls of `op` answer 500; the SDK retries (3 attempts). */
  | { readonly kind: '5xx'; readonly op: string; readonly times: number }
  /** The function's client makes one attempt per call: the first call of `op` answers 500 and the run fails (it cleans up after itself). */
  | { readonly kind: 'fail'; readonly op: string }
  /** The function dies at its (after+1)-th KMS request, before sending it or (`effect`) after KMS did it: it leaves its lock behind. */
  | { readonly kind: 'crash'; readonly after: number; readonly effect: boolean }
  /** The clock jumps 25 h before each of the next `times` ImportKeyMaterial requests: their import token has expired. */
  | { readonly kind: 'token-expiry'; readonly times: number }
  /** The next successful answer of `op` is lost: it took effect, the SDK sees a 500 and retries. */
  | { readonly kind: 'lost-response'; readonly op: string };

export const NO_FAULT: Fault = { kind: 'none' };

export function faultArbitrary(o: { lostResponses?: boolean } = {}): fc.Arbitrary<Fault> {
  const op = fc.constantFrom(...FAULTABLE_OPERATIONS);
  const times = fc.integer({ min: 1, max: RETRYING_ATTEMPTS });
  const lost = o.lostResponses
    ? [{ weight: 2, arbitrary: fc.record({ kind: fc.constant('lost-response' as const), op: fc.constantFrom(...LOSABLE_OPERATIONS) }) }]
    : [];
  return fc.oneof(
    ...lost,
    { weight: 8, arbitrary: fc.constant(NO_FAULT) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('throttle' as const), op, times }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('5xx' as const), op, times }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), op }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), after: fc.integer({ min: 0, max: 24 }), effect: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('token-expiry' as const), times: fc.integer({ min: 1, max: 2 }) }) },
  );
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'none': return '';
    case 'throttle': return ` [throttle ${f.op} x${f.times}]`;
    case '5xx': return ` [5xx ${f.op} x${f.times}]`;
    case 'fail': return ` [one attempt per call; ${f.op} answers 500]`;
    case 'crash': return ` [dies at KMS request ${f.after + 1}${f.effect ? ' after KMS did it' : ' before sending it'}]`;
    case 'token-expiry': return ` [import token expires x${f.times}]`;
    case 'lost-response': return ` [answer of ${f.op} lost]`;
  }
}

/** Arms `f` on the simulator and returns the plan of the slot that runs the invocation. */
export function armFault(env: ModelEnv, f: Fault): SlotPlan {
  const faults = env.h.sim.faults;
  switch (f.kind) {
    case 'none':
      return { maxAttempts: RETRYING_ATTEMPTS };
    case 'throttle':
      faults.throttle(f.op, f.times);
      return { maxAttempts: RETRYING_ATTEMPTS };
    case '5xx':
      faults.serverError(f.op, f.times);
      return { maxAttempts: RETRYING_ATTEMPTS };
    case 'fail':
      faults.serverError(f.op, 1);
      return { maxAttempts: 1 };
    case 'crash':
      return { maxAttempts: RETRYING_ATTEMPTS, crash: { after: f.after, effect: f.effect } };
    case 'token-expiry':
      return { maxAttempts: RETRYING_ATTEMPTS, tokenExpiries: f.times };
    case 'lost-response':
      return { maxAttempts: RETRYING_ATTEMPTS, loseAnswerOf: f.op };
  }
}

/** Did the fault change anything (an injected error answered, a death, a token jump, a lost answer)? */
export function faultFired(env: ModelEnv, f: Fault, simCallsFrom: number, slot: Slot, before: { tokens: number; lost: number }): boolean {
  const calls = env.h.sim.calls.list().slice(simCallsFrom);
  const injected = (codes: string[]) => calls.some((c) => c.error !== undefined && codes.includes(c.error));
  switch (f.kind) {
    case 'none': return false;
    case 'throttle': return injected(['ThrottlingException', 'ThrottledException']);
    case '5xx':
    case 'fail': return injected(['KMSInternalException', 'InternalServiceException']);
    case 'crash': return slot.death === 'crash';
    case 'token-expiry': return slot.tokenJumps > before.tokens;
    case 'lost-response': return slot.lostAnswers > before.lost;
  }
}

/** Whether the function must get through the fault (or the fault never had an effect). */
export function absorbable(f: Fault, fired: boolean): boolean {
  if (!fired) return true;
  switch (f.kind) {
    case 'none': return true;
    case 'throttle':
    case '5xx': return f.times < RETRYING_ATTEMPTS;
    case 'fail':
    case 'crash': return false;
    // The function asks for a fresh token once.
    case 'token-expiry': return f.times < 2;
    // The SDK retries; the function must cope with an operation that already took effect.
    case 'lost-response': return true;
  }
}

export class FaultCounter {
  readonly injected: Record<FaultKind, number> = zero();
  readonly fired: Record<FaultKind, number> = zero();
  /** Invocations that died at their deadline (the model's function timeout), whatever their fault. */
  timeouts = 0;

  count(kind: FaultKind, fired: boolean): void {
    this.injected[kind] += 1;
    if (fired) this.fired[kind] += 1;
  }

  add(other: FaultCounter): void {
    for (const k of ALL_FAULT_KINDS) {
      this.injected[k] += other.injected[k];
      this.fired[k] += other.fired[k];
    }
    this.timeouts += other.timeouts;
  }

  total(): number {
    return ALL_FAULT_KINDS.reduce((n, k) => n + this.injected[k], 0);
  }

  /** `throttle=3 (fired 2), 5xx=...` (opt-in kinds only when injected). */
  breakdown(): string {
    return ALL_FAULT_KINDS.filter((k) => (FAULT_KINDS as readonly string[]).includes(k) || this.injected[k] > 0)
      .map((k) => `${k}=${this.injected[k]} (fired ${this.fired[k]})`).join(', ') + `; deaths at the function timeout: ${this.timeouts}`;
  }
}

function zero(): Record<FaultKind, number> {
  return { 'throttle': 0, '5xx': 0, 'fail': 0, 'crash': 0, 'token-expiry': 0, 'concurrent': 0, 'lost-response': 0 };
}
