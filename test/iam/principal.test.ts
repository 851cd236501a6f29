import { evaluateResourcePolicy } from './evaluate';
import { ACCOUNT, OTHER_ACCOUNT, policy, request, ROLE_ARN, SESSION_ARN } from './test-helpers';
import type { EvaluationRequest } from './types';

const allowFor = (principal: unknown, req: EvaluationRequest = request()) =>
  evaluateResourcePolicy(policy({ Sid: 'S', Effect: 'Allow', Principal: principal, Action: 'kms:*', Resource: '*' }), req);

const how = (principal: unknown, req?: EvaluationRequest) => {
  const r = allowFor(principal, req);
  return r.allowDirect ? 'direct' : r.allowViaAccount ? 'via-account' : 'no';
};

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
describe('Principal', () => {
  test.each<[string, unknown, string]>([
    ['"*"', '*', 'direct'],
    ['{ AWS: "*" }', { AWS: '*' }, 'direct'],
    ['the role ARN', { AWS: ROLE_ARN }, 'direct'],
    ['the role ARN in a list', { AWS: [`arn:aws:iam::${ACCOUNT}:role/Other`, ROLE_ARN] }, 'direct'],
    ['the account root ARN', { AWS: `arn:aws:iam::${ACCOUNT}:root` }, 'via-account'],
    ['the bare account id', { AWS: ACCOUNT }, 'via-account'],
    ['another role', { AWS: `arn:aws:iam::${ACCOUNT}:role/Other` }, 'no'],
    ['a role of the same name in another account', { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:role/RotationRole` }, 'no'],
    ['another account', { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, 'no'],
    ['a service principal', { Service: 'lambda.amazonaws.com' }, 'no'],
    ['a federated principal', { Federated: 'cognito-identity.amazonaws.com' }, 'no'],
  ])('%s names the role: %s', (_, principal, expected) => {
    expect(how(principal)).toBe(expected);
  });

  test('a role ARN names the assumed-role sessions of that role, with or without a path', () => {
    const session = request({ principalArn: SESSION_ARN });
    expect(how({ AWS: ROLE_ARN }, session)).toBe('direct');
    expect(how({ AWS: `arn:aws:iam::${ACCOUNT}:role/service/RotationRole` }, session)).toBe('direct');
    expect(how({ AWS: `arn:aws:iam::${ACCOUNT}:role/RotationRoleX` }, session)).toBe('no');
  });

  test('a session ARN names that session only', () => {
    expect(how({ AWS: SESSION_ARN }, request({ principalArn: SESSION_ARN }))).toBe('direct');
    expect(how({ AWS: SESSION_ARN }, request({ principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/RotationRole/other` }))).toBe('no');
    expect(how({ AWS: SESSION_ARN }, request())).toBe('no');
  });

  test('a user is named by its ARN', () => {
    const user = `arn:aws:iam::${ACCOUNT}:user/Bob`;
    expect(how({ AWS: user }, request({ principalArn: user }))).toBe('direct');
    expect(how({ AWS: `arn:aws:iam::${ACCOUNT}:user/Alice` }, request({ principalArn: user }))).toBe('no');
  });

  test('naming both the role and its account reports both', () => {
    expect(allowFor({ AWS: [ROLE_ARN, ACCOUNT] })).toMatchObject({ decision: 'Allow', allowDirect: true, allowViaAccount: true });
  });

  test('a statement for another principal does not apply', () => {
    expect(allowFor({ AWS: `arn:aws:iam::${ACCOUNT}:role/Other` })).toEqual({
      decision: 'ImplicitDeny', matchedSids: [], allowDirect: false, allowViaAccount: false,
    });
  });

  test.each<[string, unknown, RegExp]>([
    ['a string other than "*"', ROLE_ARN, /Unsupported Principal element/],
    ['an unknown principal type', { Role: ROLE_ARN }, /Unsupported principal type: Role/],
    ['an unresolved CloudFormation token', { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }]] } }, /values must be strings/],
  ])('%s fails loudly', (_, principal, message) => {
    expect(() => allowFor(principal)).toThrow(message);
  });

  test('a resource policy statement without Principal or NotPrincipal fails loudly', () => {
    expect(() => evaluateResourcePolicy(policy({ Effect: 'Allow', Action: '*', Resource: '*' }), request())).toThrow(/exactly one of Principal and NotPrincipal/);
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
// With Deny, AWS may check the account, then the role, then the session: each must be listed
// to be exempt ("you must also specify the account ARN of the not-denied principal").
describe('NotPrincipal with Deny', () => {
  const denyAllBut = (...arns: string[]) =>
    policy(
      { Sid: 'AllowAccount', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'DenyOthers', Effect: 'Deny', NotPrincipal: { AWS: arns }, Action: 'kms:*', Resource: '*' },
    );
  const decision = (doc: ReturnType<typeof denyAllBut>, principalArn: string) => evaluateResourcePolicy(doc, request({ principalArn })).decision;
  const bob = `arn:aws:iam::${ACCOUNT}:user/Bob`;

  test("the page's user example: Bob and his account listed, Bob exempt, anyone else denied", () => {
    const doc = denyAllBut(bob, `arn:aws:iam::${ACCOUNT}:root`);
    expect(decision(doc, bob)).toBe('Allow');
    expect(decision(doc, `arn:aws:iam::${ACCOUNT}:user/Alice`)).toBe('ExplicitDeny');
    expect(decision(doc, ROLE_ARN)).toBe('ExplicitDeny');
  });

  test('without the account ARN, the deny reaches the listed user too', () => {
    expect(decision(denyAllBut(bob), bob)).toBe('ExplicitDeny');
  });

  test("the page's assumed-role example: session, role and account listed", () => {
    const all = denyAllBut(SESSION_ARN, ROLE_ARN, `arn:aws:iam::${ACCOUNT}:root`);
    expect(decision(all, SESSION_ARN)).toBe('Allow');
    expect(decision(all, `arn:aws:sts::${ACCOUNT}:assumed-role/RotationRole/other-session`)).toBe('ExplicitDeny');
    expect(decision(denyAllBut(SESSION_ARN, `arn:aws:iam::${ACCOUNT}:root`), SESSION_ARN)).toBe('ExplicitDeny');
    expect(decision(denyAllBut(SESSION_ARN, ROLE_ARN), SESSION_ARN)).toBe('ExplicitDeny');
  });

  test('a NotPrincipal Allow applies to the requester directly, never via its account', () => {
    const doc = policy({ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' });
    expect(evaluateResourcePolicy(doc, request())).toMatchObject({ decision: 'Allow', allowDirect: true, allowViaAccount: false });
  });
});
