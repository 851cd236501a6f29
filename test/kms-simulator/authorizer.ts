/**
 * Authorization mode: every KMS and tagging request is evaluated with the IAM policy
 * evaluator (`authorizeKms`, test/iam) against the caller's identity policies and, for key
 * resources, the key policy in the authorization view (see authorization-view.ts). Denied
 * requests answer AccessDeniedException with the evaluator's reason.
 *
 * Condition keys: kms:CallerAccount, aws:PrincipalArn and aws:PrincipalAccount on every
 * check; for keys kms:KeyOrigin, kms:KeySpec, kms:KeyUsage, kms:MultiRegion,
 * aws:ResourceTag/<k> and kms:ResourceAliases (authorization view); plus what the access plan
 * takes from the request (access-plans.ts).
 */
import { authorizeKms, PolicyDocument, RequestContext } from '../iam';
import { ACCESS_PLANS, AccessCheck } from './access-plans';
import { authorizationView } from './authorization-view';
import { keyPropertyConditions, resourceAliasesCondition, resourceTagConditions } from './condition-context';
import { DecisionLog } from './decisions';
import { SimError } from './errors';
import type { HandlerContext } from './handlers';
import type { ChangeHistory } from './history';
import { Caller, PrincipalRegistry, SimPrincipal } from './identity';
import type { Input } from './input';
import type { SimStore } from './store';

/** AWS: "up to five minutes for tag and alias changes to affect KMS key authorization". */
export const DEFAULT_PROPAGATION_MS = 5 * 60 * 1000;

export interface AuthorizationOptions {
  readonly principals: SimPrincipal[];
  /** Delay before a later policy, tag or alias change affects authorization. Default 300000 (5 min). */
  readonly propagationMs?: number;
}

export class Authorizer {
  public readonly decisions = new DecisionLog();

  constructor(
    private readonly store: SimStore,
    private readonly history: ChangeHistory,
    public readonly principals: PrincipalRegistry,
    public readonly propagationMs: number,
  ) {
    if (!(Number.isFinite(propagationMs) && propagationMs >= 0)) {
      throw new Error(`authorization.propagationMs must be a non-negative number, got ${propagationMs}`);
    }
  }

  public identify(authorizationHeader: string | undefined): Caller {
    return this.principals.identify(authorizationHeader);
  }

  /** Throws AccessDeniedException unless `caller` may perform `op` as requested. */
  public authorize(op: string, caller: Caller, ctx: HandlerContext, input: Input): void {
    const plan = ACCESS_PLANS[op];
    if (!plan) {
      throw new Error(`no access plan for ${op}`);
    }
    const nowMs = this.store.now().getTime();
    for (const check of plan(ctx, input)) {
      const decision = this.evaluate(check, caller, nowMs);
      if (!decision.allowed) {
        this.decisions.record(caller.arn, op, false);
        throw new SimError('AccessDeniedException', decision.reason);
      }
    }
    this.decisions.record(caller.arn, op, true);
  }

  private evaluate(check: AccessCheck, caller: Caller, nowMs: number): { allowed: boolean; reason: string } {
    const base: RequestContext = {
      'kms:CallerAccount': caller.account,
      'aws:PrincipalArn': caller.arn,
      'aws:PrincipalAccount': caller.account,
    };
    const request = {
      principalArn: caller.arn,
      principalAccount: caller.account,
      action: check.action,
      identityPolicies: caller.policies,
    };
    if (typeof check.target === 'string') {
      return authorizeKms({ ...request, resource: check.target, context: { ...base, ...check.context } });
    }
    const key = check.target;
    const view = authorizationView(this.history, key, nowMs, this.propagationMs);
    return authorizeKms({
      ...request,
      resource: key.arn,
      keyAccount: this.store.accountId,
      keyPolicy: JSON.parse(view.policy) as PolicyDocument,
      context: {
        ...base,
        ...keyPropertyConditions(key),
        ...resourceTagConditions(view.tags),
        ...resourceAliasesCondition(view.aliases),
        ...check.context,
      },
    });
  }
}
