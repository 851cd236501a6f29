import { authorizeKms, type KmsAuthorizationInput } from './kms-authorize';
import { ACCOUNT, KEY_ARN, OTHER_ACCOUNT, policy, request, ROLE_ARN, SESSION_ARN } from './test-helpers';
import type { PolicyDocument, PolicyStatement, RequestContext } from './types';

const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
const ENABLE_IAM: PolicyStatement = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };
const DEFAULT_KEY_POLICY = policy(ENABLE_IAM);

const iamAllows = (actions: string | string[] = 'kms:*', extra: Partial<PolicyStatement> = {}): PolicyDocument =>
  policy({ Effect: 'Allow', Action: actions, Resource: '*', ...extra });

const authorize = (input: Partial<KmsAuthorizationInput> & { keyAccount?: string } = {}) =>
  authorizeKms({ ...request(), identityPolicies: [], keyPolicy: DEFAULT_KEY_POLICY, ...input });

const noIdentityAllow = (action = 'kms:Encrypt', principal = ROLE_ARN, resource = KEY_ARN) =>
  `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

// https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
describe('the default key policy delegates to IAM', () => {
  test('allowed only when an identity-based policy also allows', () => {
    expect(authorize({ identityPolicies: [iamAllows('kms:Encrypt')] }).allowed).toBe(true);
    expect(authorize({ identityPolicies: [] })).toEqual({ allowed: false, reason: noIdentityAllow() });
    expect(authorize({ identityPolicies: [iamAllows('kms:Decrypt')] })).toEqual({ allowed: false, reason: noIdentityAllow() });
  });

  test('an identity-based policy alone is not enough when the key policy allows neither the principal nor its account', () => {
    const otherOnly = policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Admin` }, Action: 'kms:*', Resource: '*' });
    expect(authorize({ keyPolicy: otherOnly, identityPolicies: [iamAllows()] })).toEqual({
      allowed: false,
      reason: `User: ${ROLE_ARN} is not authorized to perform: kms:Encrypt on resource: ${KEY_ARN} because no resource-based policy allows the kms:Encrypt action`,
    });
  });
});

// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-users
describe('a key policy that names the role', () => {
  const keyUsers = policy(
    ENABLE_IAM,
    { Sid: 'Allow use of the key', Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'], Resource: '*' },
  );

  test('allows the role and its sessions without any identity-based policy', () => {
    expect(authorize({ keyPolicy: keyUsers }).allowed).toBe(true);
    expect(authorize({ keyPolicy: keyUsers, action: 'kms:GenerateDataKeyWithoutPlaintext' }).allowed).toBe(true);
    expect(authorize({ keyPolicy: keyUsers, principalArn: SESSION_ARN }).allowed).toBe(true);
  });

  test('allows only the listed actions directly; the others still need IAM through the root statement', () => {
    expect(authorize({ keyPolicy: keyUsers, action: 'kms:ScheduleKeyDeletion' })).toEqual({
      allowed: false, reason: noIdentityAllow('kms:ScheduleKeyDeletion'),
    });
    expect(authorize({ keyPolicy: keyUsers, action: 'kms:ScheduleKeyDeletion', identityPolicies: [iamAllows()] }).allowed).toBe(true);
  });
});

describe('explicit denies', () => {
  test('a Deny in the key policy beats an IAM allow', () => {
    const keyPolicy = policy(
      ENABLE_IAM,
      { Sid: 'DenyDeletion', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
    );
    expect(authorize({ keyPolicy, action: 'kms:ScheduleKeyDeletion', identityPolicies: [iamAllows()] })).toEqual({
      allowed: false,
      reason: `User: ${ROLE_ARN} is not authorized to perform: kms:ScheduleKeyDeletion on resource: ${KEY_ARN} with an explicit deny in a resource-based policy`,
    });
    expect(authorize({ keyPolicy, action: 'kms:Encrypt', identityPolicies: [iamAllows()] }).allowed).toBe(true);
  });

  test('a Deny in an identity-based policy beats a key policy that names the role', () => {
    const keyPolicy = policy({ Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'kms:*', Resource: '*' });
    const deny = policy({ Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' });
    expect(authorize({ keyPolicy, identityPolicies: [deny] })).toEqual({
      allowed: false,
      reason: `User: ${ROLE_ARN} is not authorized to perform: kms:Encrypt on resource: ${KEY_ARN} with an explicit deny in an identity-based policy`,
    });
  });
});

describe('requests without a key resource (CreateKey, ListAliases, the alias side of alias operations)', () => {
  const createKey = { keyPolicy: undefined, action: 'kms:CreateKey', resource: '*' };

  test('need an identity-based Allow', () => {
    expect(authorize({ ...createKey, identityPolicies: [iamAllows('kms:CreateKey')] }).allowed).toBe(true);
    expect(authorize({ ...createKey, identityPolicies: [iamAllows('kms:ListAliases')] })).toEqual({
      allowed: false, reason: noIdentityAllow('kms:CreateKey', ROLE_ARN, '*'),
    });
  });

  // The construct's CreateKey statement: EXTERNAL origin, IfExists on the optional parameters.
  test('kms:KeyOrigin and BoolIfExists on kms:BypassPolicyLockoutSafetyCheck', () => {
    const statement = iamAllows('kms:CreateKey', {
      Condition: {
        StringEquals: { 'kms:KeyOrigin': 'EXTERNAL' },
        BoolIfExists: { 'kms:BypassPolicyLockoutSafetyCheck': 'false' },
      },
    });
    const allowed = (context: RequestContext) => authorize({ ...createKey, identityPolicies: [statement], context }).allowed;
    expect(allowed({ 'kms:KeyOrigin': 'EXTERNAL' })).toBe(true);
    expect(allowed({ 'kms:KeyOrigin': 'EXTERNAL', 'kms:BypassPolicyLockoutSafetyCheck': false })).toBe(true);
    expect(allowed({ 'kms:KeyOrigin': 'EXTERNAL', 'kms:BypassPolicyLockoutSafetyCheck': true })).toBe(false);
    expect(allowed({ 'kms:KeyOrigin': 'AWS_KMS' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
describe('principals of another account', () => {
  const external = `arn:aws:iam::${OTHER_ACCOUNT}:role/ExternalRole`;
  const asExternal = { principalArn: external, principalAccount: OTHER_ACCOUNT };

  test('a key policy naming their account needs their own IAM allow', () => {
    const keyPolicy = policy(
      ENABLE_IAM,
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 'kms:Encrypt', Resource: '*' },
    );
    expect(authorize({ ...asExternal, keyPolicy, identityPolicies: [iamAllows()] }).allowed).toBe(true);
    expect(authorize({ ...asExternal, keyPolicy })).toEqual({ allowed: false, reason: noIdentityAllow('kms:Encrypt', external) });
  });

  test('a key policy naming their role directly still needs their own IAM allow', () => {
    const keyPolicy = policy({ Effect: 'Allow', Principal: { AWS: external }, Action: 'kms:*', Resource: '*' });
    expect(authorize({ ...asExternal, keyPolicy }).allowed).toBe(false);
    expect(authorize({ ...asExternal, keyPolicy, identityPolicies: [iamAllows()] }).allowed).toBe(true);
  });

  test('the key account root statement does not reach them, whatever their IAM policies say', () => {
    expect(authorize({ ...asExternal, identityPolicies: [iamAllows()] }).reason).toMatch(/because no resource-based policy allows the kms:Encrypt action$/);
  });

  test('the key account comes from keyAccount when given, else from the key ARN', () => {
    const keyPolicy = policy({ Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'kms:*', Resource: '*' });
    expect(authorize({ keyPolicy }).allowed).toBe(true);
    expect(authorize({ keyPolicy, keyAccount: OTHER_ACCOUNT }).allowed).toBe(false);
    expect(authorize({ keyPolicy, resource: KEY_ARN.replace(ACCOUNT, OTHER_ACCOUNT) }).allowed).toBe(false);
  });
});

// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
// https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
describe('KMS condition keys', () => {
  const allowedWith = (condition: PolicyStatement['Condition'], context: RequestContext, action = 'kms:Encrypt') =>
    authorize({ action, context, identityPolicies: [iamAllows(['kms:Encrypt', 'kms:Decrypt', 'kms:EnableKey', 'kms:ScheduleKeyDeletion'], { Condition: condition })] }).allowed;

  test('kms:ResourceAliases with ForAnyValue:StringEquals (the construct\'s grant condition)', () => {
    const condition = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/app-key' } };
    expect(allowedWith(condition, { 'kms:ResourceAliases': ['alias/app-key-gen-3', 'alias/app-key'] })).toBe(true);
    expect(allowedWith(condition, { 'kms:ResourceAliases': ['alias/app-key-gen-3'] })).toBe(false);
    expect(allowedWith(condition, { 'kms:ResourceAliases': [] })).toBe(false);
    expect(allowedWith(condition, {})).toBe(false);
  });

  // The alias-authorization page's example: all aliases must include "Test", and there must be at least one.
  test('kms:ResourceAliases with ForAllValues and ForAnyValue StringLike', () => {
    const condition = {
      'ForAllValues:StringLike': { 'kms:ResourceAliases': ['alias/*Test*'] },
      'ForAnyValue:StringLike': { 'kms:ResourceAliases': ['alias/*Test*'] },
    };
    expect(allowedWith(condition, { 'kms:ResourceAliases': ['alias/Test1', 'alias/myTest'] }, 'kms:EnableKey')).toBe(true);
    expect(allowedWith(condition, { 'kms:ResourceAliases': ['alias/Test1', 'alias/prod'] }, 'kms:EnableKey')).toBe(false);
    expect(allowedWith(condition, {}, 'kms:EnableKey')).toBe(false);
    expect(allowedWith({ 'ForAllValues:StringLike': condition['ForAllValues:StringLike'] }, {}, 'kms:EnableKey')).toBe(true);
  });

  test('kms:RequestAlias: only when the request names the key by a matching alias', () => {
    const condition = { StringEquals: { 'kms:RequestAlias': ['alias/ProjectAlpha', 'alias/ProjectAlpha_Test'] } };
    expect(allowedWith(condition, { 'kms:RequestAlias': 'alias/ProjectAlpha' })).toBe(true);
    expect(allowedWith(condition, { 'kms:RequestAlias': 'alias/ProjectBeta' })).toBe(false);
    // Key id or key ARN in the request: the key is absent from the context.
    expect(allowedWith(condition, {})).toBe(false);
  });

  test('kms:EncryptionContext:<key>: key name case-insensitive, value case-sensitive', () => {
    const condition = { StringEquals: { 'kms:EncryptionContext:AppName': 'ExampleApp' } };
    expect(allowedWith(condition, { 'kms:EncryptionContext:AppName': 'ExampleApp' }, 'kms:Decrypt')).toBe(true);
    expect(allowedWith(condition, { 'kms:EncryptionContext:appname': 'ExampleApp' }, 'kms:Decrypt')).toBe(true);
    expect(allowedWith(condition, { 'kms:EncryptionContext:AppName': 'exampleapp' }, 'kms:Decrypt')).toBe(false);
    expect(allowedWith(condition, { 'kms:EncryptionContext:Other': 'ExampleApp' }, 'kms:Decrypt')).toBe(false);
  });

  test("kms:ScheduleKeyDeletionPendingWindowInDays with NumericEquals given as the string '30'", () => {
    const condition = { NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' } };
    expect(allowedWith(condition, { 'kms:ScheduleKeyDeletionPendingWindowInDays': 30 }, 'kms:ScheduleKeyDeletion')).toBe(true);
    expect(allowedWith(condition, { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' }, 'kms:ScheduleKeyDeletion')).toBe(true);
    expect(allowedWith(condition, { 'kms:ScheduleKeyDeletionPendingWindowInDays': 7 }, 'kms:ScheduleKeyDeletion')).toBe(false);
    expect(allowedWith(condition, {}, 'kms:ScheduleKeyDeletion')).toBe(false);
  });

  // The conditions-kms page's key policy Deny: no pending window shorter than 21 days.
  test('kms:ScheduleKeyDeletionPendingWindowInDays in a key policy Deny with NumericLessThan', () => {
    const keyPolicy = policy(
      ENABLE_IAM,
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:ScheduleKeyDeletion',
        Resource: '*',
        Condition: { NumericLessThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '21' } },
      },
    );
    const schedule = (days: number) =>
      authorize({ keyPolicy, action: 'kms:ScheduleKeyDeletion', identityPolicies: [iamAllows()], context: { 'kms:ScheduleKeyDeletionPendingWindowInDays': days } });
    expect(schedule(21).allowed).toBe(true);
    expect(schedule(7).reason).toMatch(/with an explicit deny in a resource-based policy$/);
  });
});
