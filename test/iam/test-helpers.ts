/** Requests and policies shared by the IAM evaluator's tests. */
import { evaluateIdentityPolicies } from './evaluate';
import type { EvaluationRequest, PolicyDocument, PolicyStatement, RequestContext } from './types';

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/RotationRole`;
export const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/RotationRole/rotation-session`;
export const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

export function request(overrides: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return { principalArn: ROLE_ARN, principalAccount: ACCOUNT, action: 'kms:Encrypt', resource: KEY_ARN, context: {}, ...overrides };
}

export function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** Does an Allow statement carrying `condition` allow a request with `context`? */
export function conditionHolds(condition: Record<string, Record<string, unknown>>, context: RequestContext): boolean {
  const allow = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: condition });
  return evaluateIdentityPolicies([allow], request({ context })).decision === 'Allow';
}
