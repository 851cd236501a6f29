import { authorizeRequest, RequestAuthorizationInput } from './authorize-request';
import { ACCOUNT, OTHER_ACCOUNT, policy, ROLE_ARN, SESSION_ARN } from './test-helpers';
import type { PolicyDocument } from './types';

// Cases after the IAM User Guide's policy evaluation pages:
// SAME = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
//   ("If either the identity-based policy or the resource-based policy within the same account
//   allows the request and the other doesn't, the request is still allowed.")
// LOGIC = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
//   ("An explicit deny in any policy overrides any allows.")
// CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
// PRINCIPAL = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
//   (an account principal "delegates authority to the account")

const BUCKET = 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs';
const OBJECT = `${BUCKET}/2026/01/01.log`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:lifecycle`;
const PROVIDER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ProviderRole`;
const OPERATOR_ROLE = `arn:aws:iam::${ACCOUNT}:role/Operator`;
const EXTERNAL_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/ExternalRole`;

const allowPut = policy({ Sid: 'AllowPut', Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET}/*` });
const bucketPolicy = (principal: unknown, effect: 'Allow' | 'Deny' = 'Allow'): PolicyDocument =>
  policy({ Sid: 'Bucket', Effect: effect, Principal: principal, Action: 's3:PutObject', Resource: `${BUCKET}/*` });

function put(overrides: Partial<RequestAuthorizationInput> = {}) {
  return authorizeRequest({
    principalArn: ROLE_ARN,
    principalAccount: ACCOUNT,
    action: 's3:PutObject',
    resource: OBJECT,
    context: {},
    identityPolicies: [],
    resourceAccount: ACCOUNT,
    ...overrides,
  });
}

describe('within one account (SAME)', () => {
  test('identity-based Allow, no resource-based policy: allowed', () => {
    expect(put({ identityPolicies: [allowPut] }).allowed).toBe(true);
  });

  test('identity-based Allow, resource-based policy silent about the principal: allowed', () => {
    expect(put({ identityPolicies: [allowPut], resourcePolicy: bucketPolicy({ AWS: OPERATOR_ROLE }) }).allowed).toBe(true);
  });

  test('identity-based policies silent, resource-based policy naming the role (or "*"): allowed, for its sessions too', () => {
    expect(put({ resourcePolicy: bucketPolicy({ AWS: ROLE_ARN }) }).allowed).toBe(true);
    expect(put({ principalArn: SESSION_ARN, resourcePolicy: bucketPolicy({ AWS: ROLE_ARN }) }).allowed).toBe(true);
    expect(put({ resourcePolicy: bucketPolicy('*') }).allowed).toBe(true);
  });

  test('a resource-based policy naming only the account delegates to IAM (PRINCIPAL): allowed only with an identity-based Allow', () => {
    const delegation = bucketPolicy({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
    expect(put({ resourcePolicy: delegation })).toEqual({
      allowed: false,
      reason: `User: ${ROLE_ARN} is not authorized to perform: s3:PutObject on resource: ${OBJECT} because no identity-based policy allows the s3:PutObject action`,
    });
    expect(put({ resourcePolicy: delegation, identityPolicies: [allowPut] }).allowed).toBe(true);
  });

  test('both silent: implicit deny', () => {
    expect(put().allowed).toBe(false);
    expect(put({ resourcePolicy: bucketPolicy({ AWS: OPERATOR_ROLE }) }).allowed).toBe(false);
  });

  // LOGIC, and SAME's example of Carlos: an explicit Deny of "*log*" buckets in his identity-based
  // policy wins over the Allow of the bucket policy that names him.
  test('an explicit Deny in the identity-based policy beats a resource-based Allow naming the principal', () => {
    const denyLogs = policy({ Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' });
    expect(put({ identityPolicies: [allowPut, denyLogs], resourcePolicy: bucketPolicy({ AWS: ROLE_ARN }) })).toEqual({
      allowed: false,
      reason: `User: ${ROLE_ARN} is not authorized to perform: s3:PutObject on resource: ${OBJECT} with an explicit deny in an identity-based policy`,
    });
  });

  test('an explicit Deny in the resource-based policy beats an identity-based Allow', () => {
    expect(put({ identityPolicies: [allowPut], resourcePolicy: bucketPolicy('*', 'Deny') }).reason)
      .toMatch(/with an explicit deny in a resource-based policy$/);
  });

  test('S3 ARNs carry no account: the resource account defaults to the principal\'s', () => {
    expect(put({ resourceAccount: undefined, resourcePolicy: bucketPolicy({ AWS: ROLE_ARN }) }).allowed).toBe(true);
  });
});

describe('across accounts (CROSS): the resource-based policy AND the identity-based policy must allow', () => {
  const asExternal = { principalArn: EXTERNAL_ROLE, principalAccount: OTHER_ACCOUNT };

  test('both allow: allowed', () => {
    expect(put({ ...asExternal, identityPolicies: [allowPut], resourcePolicy: bucketPolicy({ AWS: OTHER_ACCOUNT }) }).allowed).toBe(true);
    expect(put({ ...asExternal, identityPolicies: [allowPut], resourcePolicy: bucketPolicy({ AWS: EXTERNAL_ROLE }) }).allowed).toBe(true);
  });

  test('only the resource-based policy allows, even naming the role: denied', () => {
    expect(put({ ...asExternal, resourcePolicy: bucketPolicy({ AWS: EXTERNAL_ROLE }) }).reason)
      .toMatch(/because no identity-based policy allows the s3:PutObject action$/);
    expect(put({ ...asExternal, resourcePolicy: bucketPolicy('*') }).allowed).toBe(false);
  });

  test('only the identity-based policy allows: denied', () => {
    expect(put({ ...asExternal, identityPolicies: [allowPut] }).reason).toMatch(/because no resource-based policy allows the s3:PutObject action$/);
    expect(put({ ...asExternal, identityPolicies: [allowPut], resourcePolicy: bucketPolicy({ AWS: ACCOUNT }) }).allowed).toBe(false);
  });

  test('the resource account comes from the resource ARN when not given', () => {
    const invoke = { action: 'lambda:InvokeFunction', resource: FUNCTION_ARN, resourceAccount: undefined };
    const allowInvoke = policy({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' });
    expect(put({ ...invoke, ...asExternal, identityPolicies: [allowInvoke] }).allowed).toBe(false);
    expect(put({ ...invoke, identityPolicies: [allowInvoke] }).allowed).toBe(true);
  });
});

// A Deny for everyone but named roles, as the construct puts on the lifecycle function:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
describe('a Deny with Principal "*" and a negated condition on aws:PrincipalArn', () => {
  const invokeAll = policy({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' });
  const invoke = (principalArn: string, resourcePolicy: PolicyDocument, identityPolicies = [invokeAll]) => authorizeRequest({
    principalArn,
    principalAccount: ACCOUNT,
    action: 'lambda:InvokeFunction',
    resource: FUNCTION_ARN,
    context: { 'aws:PrincipalArn': principalArn },
    identityPolicies,
    resourcePolicy,
  });
  const onlyProvider = (operator: string, value: string | string[]) => policy(
    { Sid: 'AllowProvider', Effect: 'Allow', Principal: { AWS: PROVIDER_ROLE }, Action: 'lambda:InvokeFunction', Resource: FUNCTION_ARN },
    { Sid: 'DenyOthers', Effect: 'Deny', Principal: '*', Action: 'lambda:InvokeFunction', Resource: FUNCTION_ARN, Condition: { [operator]: { 'aws:PrincipalArn': value } } },
  );

  test.each(['ArnNotEquals', 'StringNotEquals'])('%s: everyone else is refused, whatever IAM allows; the named role passes without IAM', (operator) => {
    const resourcePolicy = onlyProvider(operator, [PROVIDER_ROLE]);
    expect(invoke(OPERATOR_ROLE, resourcePolicy)).toEqual({
      allowed: false,
      reason: `User: ${OPERATOR_ROLE} is not authorized to perform: lambda:InvokeFunction on resource: ${FUNCTION_ARN} with an explicit deny in a resource-based policy`,
    });
    expect(invoke(PROVIDER_ROLE, resourcePolicy, []).allowed).toBe(true);
    expect(invoke(PROVIDER_ROLE, resourcePolicy).allowed).toBe(true);
  });

  test('a request without aws:PrincipalArn in its context is refused: a negated operator holds for a missing key', () => {
    const decision = authorizeRequest({
      principalArn: PROVIDER_ROLE,
      principalAccount: ACCOUNT,
      action: 'lambda:InvokeFunction',
      resource: FUNCTION_ARN,
      context: {},
      identityPolicies: [invokeAll],
      resourcePolicy: onlyProvider('ArnNotEquals', PROVIDER_ROLE),
    });
    expect(decision.reason).toMatch(/explicit deny in a resource-based policy$/);
  });

  test('StringNotEquals is literal where ArnNotLike matches wildcards', () => {
    const pattern = `arn:aws:iam::${ACCOUNT}:role/Provider*`;
    expect(invoke(PROVIDER_ROLE, onlyProvider('StringNotEquals', pattern), []).allowed).toBe(false);
    expect(invoke(PROVIDER_ROLE, onlyProvider('ArnNotLike', pattern), []).allowed).toBe(true);
    expect(invoke(OPERATOR_ROLE, onlyProvider('ArnNotLike', pattern)).allowed).toBe(false);
  });
});
