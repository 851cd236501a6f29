import { evaluateIdentityPolicies, evaluateResourcePolicy } from './evaluate';
import { ACCOUNT, KEY_ARN, policy, request, ROLE_ARN } from './test-helpers';

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// "By default, all requests are implicitly denied"; "An explicit deny in any policy overrides any allows".
describe('identity-based policies', () => {
  const allowEncrypt = policy({ Sid: 'AllowEncrypt', Effect: 'Allow', Action: 'kms:Encrypt', Resource: KEY_ARN });
  const denyEncrypt = policy({ Sid: 'DenyEncrypt', Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' });

  test('no policies: implicit deny', () => {
    expect(evaluateIdentityPolicies([], request())).toEqual({ decision: 'ImplicitDeny', matchedSids: [] });
  });

  test('an Allow for another action or resource: implicit deny', () => {
    expect(evaluateIdentityPolicies([allowEncrypt], request({ action: 'kms:Decrypt' })).decision).toBe('ImplicitDeny');
    expect(evaluateIdentityPolicies([allowEncrypt], request({ resource: KEY_ARN.replace('1234abcd', 'ffffffff') })).decision).toBe('ImplicitDeny');
  });

  test('a matching Allow allows and names its statement', () => {
    expect(evaluateIdentityPolicies([allowEncrypt], request())).toEqual({ decision: 'Allow', matchedSids: ['AllowEncrypt'] });
  });

  test('an explicit Deny overrides an Allow in the same or another policy, in any order', () => {
    const denied = { decision: 'ExplicitDeny', matchedSids: ['DenyEncrypt'] };
    expect(evaluateIdentityPolicies([allowEncrypt, denyEncrypt], request())).toEqual(denied);
    expect(evaluateIdentityPolicies([denyEncrypt, allowEncrypt], request())).toEqual(denied);
    expect(evaluateIdentityPolicies([policy(...[allowEncrypt, denyEncrypt].flatMap((p) => p.Statement))], request())).toEqual(denied);
  });

  test('a Deny alone is an explicit deny, not an implicit one', () => {
    expect(evaluateIdentityPolicies([denyEncrypt], request()).decision).toBe('ExplicitDeny');
  });

  test('a Deny whose condition does not hold leaves the Allow in force', () => {
    const denyWithoutTls = policy({ Sid: 'DenyInsecure', Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(evaluateIdentityPolicies([allowEncrypt, denyWithoutTls], request({ context: { 'aws:SecureTransport': true } })).decision).toBe('Allow');
    expect(evaluateIdentityPolicies([allowEncrypt, denyWithoutTls], request({ context: { 'aws:SecureTransport': false } })).decision).toBe('ExplicitDeny');
  });

  test('a Deny with NotAction denies every other action', () => {
    const onlyKms = policy({ Sid: 'OnlyKms', Effect: 'Deny', NotAction: 'kms:*', Resource: '*' });
    const allowAll = policy({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' });
    expect(evaluateIdentityPolicies([allowAll, onlyKms], request({ action: 'kms:Decrypt' })).decision).toBe('Allow');
    expect(evaluateIdentityPolicies([allowAll, onlyKms], request({ action: 'iam:PassRole' })).decision).toBe('ExplicitDeny');
  });

  test('matchedSids lists every deciding statement that has a Sid', () => {
    const statements = policy(
      { Sid: 'A', Effect: 'Allow', Action: 'kms:*', Resource: '*' },
      { Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' },
      { Sid: 'B', Effect: 'Allow', Action: 'kms:Enc*', Resource: KEY_ARN },
      { Sid: 'C', Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' },
    );
    expect(evaluateIdentityPolicies([statements], request()).matchedSids).toEqual(['A', 'B']);
  });

  test('a single statement object (not an array) is a valid Statement', () => {
    expect(evaluateIdentityPolicies([{ Statement: { Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' } }], request()).decision).toBe('Allow');
  });
});

describe('resource-based policies', () => {
  const keyPolicy = policy(
    { Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    { Sid: 'Role', Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
    { Sid: 'DenyOther', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Other` }, Action: 'kms:*', Resource: '*' },
  );

  test('direct and via-account Allows are reported separately', () => {
    expect(evaluateResourcePolicy(keyPolicy, request({ action: 'kms:Encrypt' }))).toEqual({
      decision: 'Allow', matchedSids: ['Root', 'Role'], allowDirect: true, allowViaAccount: true,
    });
    expect(evaluateResourcePolicy(keyPolicy, request({ action: 'kms:ScheduleKeyDeletion' }))).toEqual({
      decision: 'Allow', matchedSids: ['Root'], allowDirect: false, allowViaAccount: true,
    });
  });

  test('a Deny for another principal does not apply; for this principal it does', () => {
    const other = `arn:aws:iam::${ACCOUNT}:role/Other`;
    expect(evaluateResourcePolicy(keyPolicy, request()).decision).toBe('Allow');
    expect(evaluateResourcePolicy(keyPolicy, request({ principalArn: other }))).toMatchObject({ decision: 'ExplicitDeny', matchedSids: ['DenyOther'] });
  });

  test('conditions apply in resource policies too', () => {
    const conditional = policy({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } });
    expect(evaluateResourcePolicy(conditional, request({ context: { 'kms:CallerAccount': ACCOUNT } })).allowDirect).toBe(true);
    expect(evaluateResourcePolicy(conditional, request({ context: { 'kms:CallerAccount': '999999999999' } })).decision).toBe('ImplicitDeny');
  });
});
