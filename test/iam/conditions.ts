/**
 * The Condition element: operator names with their `ForAnyValue:` /
 * `ForAllValues:` prefix and `IfExists` suffix, `Null`, and how the values of a
 * context key meet the values of the policy.
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
 */
import { COMPARISON_OPERATORS, toBoolean, type ComparisonOperator, type ValueMatcher } from './condition-operators';
import type { ConditionValue, RequestContext } from './types';

export type SetOperator = 'ForAnyValue' | 'ForAllValues';

export interface OperatorName {
  readonly set?: SetOperator;
  readonly base: string;
  readonly ifExists: boolean;
}

/** A compiled Condition element: true when the request context satisfies it. */
export type ConditionTest = (context: RequestContext) => boolean;

/** Splits e.g. 'ForAnyValue:StringLikeIfExists'. Throws for an operator the evaluator does not know. */
export function parseOperatorName(name: string): OperatorName {
  const match = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(name);
  const base = match?.[2] ?? '';
  const known = base === 'Null' || base in COMPARISON_OPERATORS;
  if (!match || !known) throw new Error(`Unsupported condition operator: ${name}`);
  const parsed: OperatorName = { set: match[1] as SetOperator | undefined, base, ifExists: match[3] !== undefined };
  if (base === 'Null' && (parsed.set || parsed.ifExists)) {
    throw new Error(`Unsupported condition operator: ${name} (Null takes neither a set prefix nor IfExists)`);
  }
  return parsed;
}

function policyValues(operator: string, key: string, raw: unknown): ConditionValue[] {
  const values = Array.isArray(raw) ? raw : [raw];
  const scalar = (v: unknown): v is ConditionValue => ['string', 'number', 'boolean'].includes(typeof v);
  if (values.length === 0 || !values.every(scalar)) {
    throw new Error(`Condition ${operator} ${key}: values must be strings, numbers or booleans, got ${JSON.stringify(raw)}`);
  }
  return values;
}

/** The key's values in the request; undefined when it is absent or has no values. */
function contextValues(context: RequestContext, key: string): ConditionValue[] | undefined {
  const wanted = key.toLowerCase();
  const name = Object.keys(context).find((k) => k.toLowerCase() === wanted);
  const value = name === undefined ? undefined : context[name];
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  return values.length === 0 ? undefined : values;
}

function nullTest(operator: string, key: string, values: ConditionValue[]): ConditionTest {
  const wantAbsent = values.map((v) => {
    const b = toBoolean(v);
    if (b === undefined) throw new Error(`Condition ${operator} ${key}: value ${JSON.stringify(v)} is not 'true' or 'false'`);
    return b;
  });
  return (context) => wantAbsent.includes(contextValues(context, key) === undefined);
}

function comparisonTest(name: OperatorName, comparison: ComparisonOperator, key: string, matchers: ValueMatcher[]): ConditionTest {
  const matchesPolicy = (v: ConditionValue) => matchers.some((m) => m(v));
  // "Negated" operators are satisfied by a value that matches none of the policy values (NOR).
  const satisfies = comparison.negated ? (v: ConditionValue) => !matchesPolicy(v) : matchesPolicy;
  return (context) => {
    const values = contextValues(context, key);
    if (values === undefined) {
      if (name.ifExists) return true;
      if (name.set) return name.set === 'ForAllValues';
      // A missing key never matches, so a negated operator is satisfied.
      return comparison.negated;
    }
    if (name.set === 'ForAllValues') return values.every(satisfies);
    if (name.set === 'ForAnyValue') return values.some(satisfies);
    // No set prefix on a key with several values (IAM expects a set prefix there):
    // a positive operator matches when any value matches; a negated one when none does.
    return comparison.negated ? values.every(satisfies) : values.some(satisfies);
  };
}

function keyTest(operator: string, name: OperatorName, key: string, raw: unknown): ConditionTest {
  const values = policyValues(operator, key, raw);
  if (name.base === 'Null') return nullTest(operator, key, values);
  const comparison = COMPARISON_OPERATORS[name.base];
  return comparisonTest(name, comparison, key, values.map((v) => comparison.compile(v, operator)));
}

/**
 * Compiles a Condition element, validating every operator and value up front.
 * Operators are AND'ed, keys within an operator AND'ed, values of a key OR'ed.
 * Condition key names are case-insensitive.
 */
export function compileCondition(condition: unknown): ConditionTest {
  if (condition === undefined) return () => true;
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    throw new Error(`Condition must be an object, got ${JSON.stringify(condition)}`);
  }
  const tests = Object.entries(condition).flatMap(([operator, block]) => {
    const name = parseOperatorName(operator);
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      throw new Error(`Condition ${operator} must map condition keys to values, got ${JSON.stringify(block)}`);
    }
    return Object.entries(block as Record<string, unknown>).map(([key, raw]) => keyTest(operator, name, key, raw));
  });
  return (context) => tests.every((test) => test(context));
}
