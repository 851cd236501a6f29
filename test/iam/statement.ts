/**
 * One policy statement's Effect, Action / NotAction, Resource / NotResource and
 * Condition (Principal is the resource-policy evaluator's concern).
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
import { compileCondition, type ConditionTest } from './conditions';
import type { EvaluationRequest, PolicyDocument, PolicyStatement } from './types';
import { wildcardMatch } from './wildcard';

export interface CompiledStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** Action, resource and conditions all match the request. */
  readonly appliesTo: (req: EvaluationRequest) => boolean;
}

export function statementsOf(policy: PolicyDocument): PolicyStatement[] {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
}

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** Action names are case-insensitive. */
export const actionMatches = (pattern: string, action: string) => wildcardMatch(pattern, action, { ignoreCase: true });

/** ARNs are case-sensitive; '*' matches every resource, the request resource '*' included. */
export const resourceMatches = (pattern: string, resource: string) => wildcardMatch(pattern, resource);

/** Compiles the Element / NotElement pair of a statement; exactly one must be present. */
function elementTest(
  statement: PolicyStatement,
  element: 'Action' | 'Resource',
  matches: (pattern: string, value: string) => boolean,
  label: string,
): (value: string) => boolean {
  const positive = statement[element];
  const negative = statement[`Not${element}`];
  if ((positive === undefined) === (negative === undefined)) {
    throw new Error(`Statement ${label} must have exactly one of ${element} and Not${element}`);
  }
  const patterns = asList(positive ?? negative ?? []);
  if (!patterns.every((p) => typeof p === 'string')) {
    throw new Error(`Statement ${label}: ${element} values must be strings, got ${JSON.stringify(patterns)}`);
  }
  return positive !== undefined
    ? (value) => patterns.some((p) => matches(p, value))
    : (value) => !patterns.some((p) => matches(p, value));
}

/** Validates a statement and compiles its matching; throws on anything the evaluator does not understand. */
export function compileStatement(statement: PolicyStatement, index: number): CompiledStatement {
  const label = statement.Sid !== undefined ? `'${statement.Sid}'` : `#${index}`;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new Error(`Statement ${label}: Effect must be 'Allow' or 'Deny', got ${JSON.stringify(statement.Effect)}`);
  }
  const action = elementTest(statement, 'Action', actionMatches, label);
  const resource = elementTest(statement, 'Resource', resourceMatches, label);
  let condition: ConditionTest;
  try {
    condition = compileCondition(statement.Condition);
  } catch (e) {
    throw new Error(`Statement ${label}: ${(e as Error).message}`);
  }
  return {
    sid: statement.Sid,
    effect: statement.Effect,
    appliesTo: (req) => action(req.action) && resource(req.resource) && condition(req.context),
  };
}
