/**
 * The shapes the IAM policy evaluator works on: policy documents as IAM (and
 * CloudFormation) render them, and the request being authorized.
 */

export type ConditionValue = string | number | boolean;

/** Request context: condition key (case-insensitive lookup, e.g. 'kms:RequestAlias', 'aws:ResourceTag/rotation:group') -> value(s). Absent key = undefined. */
export type RequestContext = Record<string, ConditionValue | ConditionValue[] | undefined>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface EvaluationRequest {
  /** e.g. 'arn:aws:iam::111122223333:role/RotationRole' (role ARN; an assumed-role session ARN 'arn:aws:sts::ACCT:assumed-role/NAME/SESSION' must also match its role ARN) */
  readonly principalArn: string;
  readonly principalAccount: string;
  readonly action: string; // 'kms:Encrypt'
  readonly resource: string; // ARN or '*'
  readonly context: RequestContext;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface EvaluationResult {
  readonly decision: Decision;
  readonly matchedSids: string[];
}
