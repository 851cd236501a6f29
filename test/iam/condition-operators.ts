/**
 * The value comparisons behind each condition operator, without the set
 * prefixes, `IfExists` or `Null`, which are about which values exist rather
 * than how one compares (see conditions.ts).
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
import { arnLike } from './arn';
import type { ConditionValue } from './types';
import { wildcardMatch } from './wildcard';

/** Tests one request context value against one policy value. */
export type ValueMatcher = (contextValue: ConditionValue) => boolean;

export interface ComparisonOperator {
  /** Negated operators (StringNotEquals...) use their positive counterpart's test and invert the result. */
  readonly negated: boolean;
  /** Throws if the policy value is malformed for the operator, so a bad policy fails before any request. */
  readonly compile: (policyValue: ConditionValue, operator: string) => ValueMatcher;
}

function toNumber(value: ConditionValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/** Dates are ISO 8601 strings or epoch seconds (a number or a string of digits). */
function toEpochMillis(value: ConditionValue): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value !== 'string') return NaN;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
}

/** CloudFormation renders booleans as the strings 'true' / 'false'. */
export function toBoolean(value: ConditionValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

function malformed(operator: string, value: ConditionValue, expected: string): Error {
  return new Error(`Condition operator ${operator}: policy value ${JSON.stringify(value)} is not ${expected}`);
}

const positive = (compile: ComparisonOperator['compile']): ComparisonOperator => ({ negated: false, compile });
const negation = (of: ComparisonOperator): ComparisonOperator => ({ ...of, negated: true });

function ordered(parse: (v: ConditionValue) => number, expected: string, compare: (request: number, policy: number) => boolean): ComparisonOperator {
  return positive((policyValue, operator) => {
    const policy = parse(policyValue);
    if (Number.isNaN(policy)) throw malformed(operator, policyValue, expected);
    return (contextValue) => {
      const request = parse(contextValue);
      return !Number.isNaN(request) && compare(request, policy);
    };
  });
}

const numeric = (compare: (request: number, policy: number) => boolean) => ordered(toNumber, 'a number', compare);
const date = (compare: (request: number, policy: number) => boolean) => ordered(toEpochMillis, 'a date', compare);

// Policy variables such as ${aws:username} are not substituted: they stay literal text.
const stringEquals = positive((p) => (c) => String(c) === String(p));
const stringEqualsIgnoreCase = positive((p) => (c) => String(c).toLowerCase() === String(p).toLowerCase());
const stringLike = positive((p) => (c) => wildcardMatch(String(p), String(c)));
const numericEquals = numeric((r, p) => r === p);
const dateEquals = date((r, p) => r === p);
// IAM documents ArnEquals and ArnLike as behaving identically, wildcards included.
const arnEquals = positive((p) => (c) => arnLike(String(p), String(c)));

export const COMPARISON_OPERATORS: Readonly<Record<string, ComparisonOperator>> = {
  StringEquals: stringEquals,
  StringNotEquals: negation(stringEquals),
  StringEqualsIgnoreCase: stringEqualsIgnoreCase,
  StringNotEqualsIgnoreCase: negation(stringEqualsIgnoreCase),
  StringLike: stringLike,
  StringNotLike: negation(stringLike),
  NumericEquals: numericEquals,
  NumericNotEquals: negation(numericEquals),
  NumericLessThan: numeric((r, p) => r < p),
  NumericLessThanEquals: numeric((r, p) => r <= p),
  NumericGreaterThan: numeric((r, p) => r > p),
  NumericGreaterThanEquals: numeric((r, p) => r >= p),
  DateEquals: dateEquals,
  DateNotEquals: negation(dateEquals),
  DateLessThan: date((r, p) => r < p),
  DateLessThanEquals: date((r, p) => r <= p),
  DateGreaterThan: date((r, p) => r > p),
  DateGreaterThanEquals: date((r, p) => r >= p),
  Bool: positive((policyValue, operator) => {
    const policy = toBoolean(policyValue);
    if (policy === undefined) throw malformed(operator, policyValue, "'true' or 'false'");
    return (c) => toBoolean(c) === policy;
  }),
  // Base64 text on both sides: compared as given.
  BinaryEquals: stringEquals,
  ArnEquals: arnEquals,
  ArnLike: arnEquals,
  ArnNotEquals: negation(arnEquals),
  ArnNotLike: negation(arnEquals),
};
