/**
 * Policy evaluation within one policy type: an explicit Deny overrides any
 * Allow; without an Allow the request is implicitly denied.
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import { exceptedByNotPrincipal, matchPrincipal, type PrincipalMatch } from './principal';
import { compileStatement, statementsOf, type CompiledStatement } from './statement';
import type { EvaluationRequest, EvaluationResult, PolicyDocument } from './types';

/** `matchedSids`: the Sids of the statements that decided (the matching Denies, or else the matching Allows). */
function decide(matched: CompiledStatement[]): EvaluationResult {
  const sids = (effect: 'Allow' | 'Deny') =>
    matched.filter((s) => s.effect === effect).flatMap((s) => (s.sid !== undefined ? [s.sid] : []));
  if (matched.some((s) => s.effect === 'Deny')) return { decision: 'ExplicitDeny', matchedSids: sids('Deny') };
  if (matched.some((s) => s.effect === 'Allow')) return { decision: 'Allow', matchedSids: sids('Allow') };
  return { decision: 'ImplicitDeny', matchedSids: [] };
}

/** Identity-based policies: statements have no Principal. */
export function evaluateIdentityPolicies(policies: PolicyDocument[], req: EvaluationRequest): EvaluationResult {
  const statements = policies.flatMap(statementsOf).map((s, i) => {
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) {
      throw new Error(`Identity-based policy statement ${s.Sid ?? `#${i}`} must not have a Principal or NotPrincipal`);
    }
    return compileStatement(s, i);
  });
  return decide(statements.filter((s) => s.appliesTo(req)));
}

/** Resource-based policy (e.g. a KMS key policy): only statements whose Principal/NotPrincipal matches apply.
 *  Returns separately whether an Allow matched the principal directly (its ARN, or '*')
 *  or only through the principal's account (Principal AWS = 'arn:aws:iam::ACCT:root' or 'ACCT'). */
export function evaluateResourcePolicy(
  policy: PolicyDocument,
  req: EvaluationRequest,
): EvaluationResult & { readonly allowDirect: boolean; readonly allowViaAccount: boolean } {
  const statements = statementsOf(policy).map((s, i) => {
    if ((s.Principal === undefined) === (s.NotPrincipal === undefined)) {
      throw new Error(`Resource-based policy statement ${s.Sid ?? `#${i}`} must have exactly one of Principal and NotPrincipal`);
    }
    const principal: PrincipalMatch = s.Principal !== undefined
      ? matchPrincipal(s.Principal, req.principalArn, req.principalAccount)
      // A NotPrincipal statement applies to the requester as itself, not through its account.
      : { direct: !exceptedByNotPrincipal(s.NotPrincipal, req.principalArn, req.principalAccount), viaAccount: false };
    return { statement: compileStatement(s, i), principal };
  });
  const matched = statements.filter(({ statement, principal }) => (principal.direct || principal.viaAccount) && statement.appliesTo(req));
  const allows = matched.filter(({ statement }) => statement.effect === 'Allow');
  return {
    ...decide(matched.map(({ statement }) => statement)),
    allowDirect: allows.some(({ principal }) => principal.direct),
    allowViaAccount: allows.some(({ principal }) => principal.viaAccount),
  };
}
