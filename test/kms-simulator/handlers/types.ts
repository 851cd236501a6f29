/**
 * Shared types of the operation handlers.
 */
import type { Input } from '../input';
import type { StateView } from '../state-view';
import type { SimStore } from '../store';
import type { WrappingKeySource } from '../wrapping-key-source';

export interface HandlerContext {
  readonly store: SimStore;
  /** Hands out the RSA wrapping key pairs of GetParametersForImport. */
  readonly wrappingKeys: WrappingKeySource;
  /**
   * What reads see: the latest state, or in the eventual consistency mode the state of a
   * moment ago (lagged reads, and alias resolution of cryptographic operations).
   */
  readonly view: StateView;
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
