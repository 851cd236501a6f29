/**
 * Shared types of the operation handlers.
 */
import type { Input } from '../input';
import type { SimStore } from '../store';

export interface HandlerContext {
  readonly store: SimStore;
  /** Reuse RSA wrapping key pairs per spec within the process. */
  readonly rsaKeyCache: boolean;
}

export type Output = Record<string, unknown>;

export type Handler = (ctx: HandlerContext, input: Input) => Output | Promise<Output>;

/** Valid Limit range and default of a List* operation. */
export interface LimitSpec {
  readonly max: number;
  readonly default: number;
}

export function readLimit(input: Input, spec: LimitSpec): number {
  return input.optionalInt('Limit', 1, spec.max) ?? spec.default;
}
