/**
 * DynamoDB authorization: a principal's identity-based policies and the
 * table's resource-based policy, combined as IAM does within one account
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny in either wins; otherwise an Allow in either suffices (a
 * resource policy that names only the account delegates to IAM, so it needs
 * the identity Allow). Cross-account access is not modelled.
 */
import { evaluateIdentityPolicies, evaluateResourcePolicy } from './evaluate';
import type { EvaluationRequest, PolicyDocument } from './types';

export interface DynamoDbAuthorizationInput extends EvaluationRequest {
  readonly identityPolicies: PolicyDocument[];
  /** The resource-based policy of the table the resource belongs to, if it has one. */
  readonly tablePolicy?: PolicyDocument;
}

/** `reason` of a refusal is AWS's message for it. */
export function authorizeDynamoDb(input: DynamoDbAuthorizationInput): { readonly allowed: boolean; readonly reason: string } {
  const denied = (why: string) => ({
    allowed: false,
    reason: `User: ${input.principalArn} is not authorized to perform: ${input.action} on resource: ${input.resource} ${why}`,
  });
  const identity = evaluateIdentityPolicies(input.identityPolicies, input);
  const table = input.tablePolicy !== undefined ? evaluateResourcePolicy(input.tablePolicy, input) : undefined;
  if (table?.decision === 'ExplicitDeny') return denied('with an explicit deny in a resource-based policy');
  if (identity.decision === 'ExplicitDeny') return denied('with an explicit deny in an identity-based policy');
  if (identity.decision === 'Allow') return { allowed: true, reason: 'an identity-based policy allows' };
  if (table?.allowDirect) return { allowed: true, reason: 'the resource-based policy allows the principal' };
  return denied(`because no identity-based policy allows the ${input.action} action`);
}
