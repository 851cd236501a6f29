/**
 * The general rule for a request to a resource that may carry a resource-based policy (a Lambda
 * function, a bucket, a table): KMS keys follow their own rule (kms-authorize.ts).
 *
 * - An explicit Deny in any policy wins.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
 * - Same account: "If either the identity-based policy or the resource-based policy within the same
 *   account allows the request and the other doesn't, the request is still allowed."
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
 *   A resource policy that names only the principal's account ("arn:aws:iam::ACCT:root" or
 *   "ACCT") "delegates authority to the account", so it allows nothing by itself: an identity
 *   policy must allow. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * - Another account: the resource policy must allow the principal (directly or through its
 *   account) AND an identity policy of the principal's account must allow.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 *
 * Not modelled: SCPs, RCPs, permissions boundaries, session policies (so the distinction between
 * naming a role and naming its session does not arise).
 */
import { parseArn } from './arn';
import { evaluateIdentityPolicies, evaluateResourcePolicy } from './evaluate';
import type { EvaluationRequest, PolicyDocument } from './types';

export interface RequestAuthorizationInput extends EvaluationRequest {
  readonly identityPolicies: PolicyDocument[];
  /** The resource's resource-based policy, if it has one. */
  readonly resourcePolicy?: PolicyDocument;
  /** Owner of the resource. Default: the account of the `resource` ARN, else the principal's account. */
  readonly resourceAccount?: string;
}

export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Why; for a refusal the AWS AccessDenied message ("User: ... is not authorized to perform: ..."). */
  readonly reason: string;
}

export function authorizeRequest(input: RequestAuthorizationInput): AuthorizationDecision {
  const denied = (why: string): AuthorizationDecision => ({
    allowed: false,
    reason: `User: ${input.principalArn} is not authorized to perform: ${input.action} on resource: ${input.resource} ${why}`,
  });
  const identity = evaluateIdentityPolicies(input.identityPolicies, input);
  const resource = input.resourcePolicy !== undefined ? evaluateResourcePolicy(input.resourcePolicy, input) : undefined;

  if (resource?.decision === 'ExplicitDeny') return denied('with an explicit deny in a resource-based policy');
  if (identity.decision === 'ExplicitDeny') return denied('with an explicit deny in an identity-based policy');
  const identityAllows = identity.decision === 'Allow';

  // Some ARNs (S3 buckets) carry no account.
  const resourceAccount = input.resourceAccount ?? (parseArn(input.resource)?.account || input.principalAccount);
  if (input.principalAccount !== resourceAccount) {
    if (!resource?.allowDirect && !resource?.allowViaAccount) return denied(`because no resource-based policy allows the ${input.action} action`);
    return identityAllows
      ? { allowed: true, reason: 'the resource-based policy allows the external principal and its identity-based policy allows' }
      : denied(`because no identity-based policy allows the ${input.action} action`);
  }
  if (identityAllows) return { allowed: true, reason: 'an identity-based policy allows' };
  if (resource?.allowDirect) return { allowed: true, reason: 'the resource-based policy allows the principal' };
  return denied(`because no identity-based policy allows the ${input.action} action`);
}
