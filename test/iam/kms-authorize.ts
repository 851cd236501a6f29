/**
 * KMS authorization: the key policy and the principal's identity-based
 * policies combined as KMS does (grants are not modelled).
 */
import { parseArn } from './arn';
import { evaluateIdentityPolicies, evaluateResourcePolicy } from './evaluate';
import type { EvaluationRequest, PolicyDocument } from './types';

export interface KmsAuthorizationInput extends EvaluationRequest {
  readonly identityPolicies: PolicyDocument[];
  /** The key policy of the key named by `resource`; undefined for requests with no key resource (CreateKey, ListAliases, alias-ARN side of alias operations). */
  readonly keyPolicy?: PolicyDocument;
}

/**
 * KMS's rule (https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html):
 * an explicit Deny in the key policy or in an identity policy wins; otherwise, with a key policy,
 * access is allowed when the key policy allows the principal directly, or allows the principal's
 * account (delegation to IAM) AND an identity policy allows; without a key policy (no key resource),
 * an identity policy must allow. Cross-account principals (principalAccount !== key account): the key policy
 * must allow them, directly or through their own account, AND an identity policy of theirs must allow.
 *
 * `keyAccount` defaults to the account of the key ARN in `resource`, else to the principal's account.
 */
export function authorizeKms(
  input: KmsAuthorizationInput & { readonly keyAccount?: string },
): { readonly allowed: boolean; readonly reason: string } {
  const denied = (why: string) => ({
    allowed: false,
    reason: `User: ${input.principalArn} is not authorized to perform: ${input.action} on resource: ${input.resource} ${why}`,
  });
  const noIdentityAllow = `because no identity-based policy allows the ${input.action} action`;

  const identity = evaluateIdentityPolicies(input.identityPolicies, input);
  const key = input.keyPolicy !== undefined ? evaluateResourcePolicy(input.keyPolicy, input) : undefined;

  if (key?.decision === 'ExplicitDeny') return denied('with an explicit deny in a resource-based policy');
  if (identity.decision === 'ExplicitDeny') return denied('with an explicit deny in an identity-based policy');
  const identityAllows = identity.decision === 'Allow';

  if (key === undefined) {
    return identityAllows ? { allowed: true, reason: 'an identity-based policy allows (no key policy applies)' } : denied(noIdentityAllow);
  }
  if (!key.allowDirect && !key.allowViaAccount) return denied(`because no resource-based policy allows the ${input.action} action`);

  const keyAccount = input.keyAccount ?? parseArn(input.resource)?.account ?? input.principalAccount;
  if (input.principalAccount !== keyAccount) {
    // Another account's principal needs its own account's IAM permission as well, however the key policy names it.
    return identityAllows ? { allowed: true, reason: 'the key policy allows the external principal and its identity-based policy allows' } : denied(noIdentityAllow);
  }
  if (key.allowDirect) return { allowed: true, reason: 'the key policy allows the principal' };
  return identityAllows ? { allowed: true, reason: 'the key policy delegates to IAM for the account and an identity-based policy allows' } : denied(noIdentityAllow);
}
