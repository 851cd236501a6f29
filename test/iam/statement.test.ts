import { evaluateIdentityPolicies } from './evaluate';
import { KEY_ARN, policy, request } from './test-helpers';
import type { PolicyStatement } from './types';

const decision = (statement: Partial<PolicyStatement>, overrides: Parameters<typeof request>[0] = {}) =>
  evaluateIdentityPolicies([policy({ Effect: 'Allow', Resource: '*', ...statement } as PolicyStatement)], request(overrides)).decision;

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
// "Action": "sqs:*", "iam:*AccessKey*", case-insensitive action names; NotAction.
describe('Action and NotAction', () => {
  test.each([
    ['kms:Encrypt', 'kms:Encrypt', 'Allow'],
    ['kms:*', 'kms:ScheduleKeyDeletion', 'Allow'],
    ['*', 'tag:GetResources', 'Allow'],
    ['kms:GenerateDataKey*', 'kms:GenerateDataKeyWithoutPlaintext', 'Allow'],
    ['kms:GenerateDataKey*', 'kms:GenerateDataKey', 'Allow'],
    ['kms:*Alias', 'kms:CreateAlias', 'Allow'],
    ['kms:?ncrypt', 'kms:Encrypt', 'Allow'],
    ['KMS:encrypt', 'kms:Encrypt', 'Allow'],
    ['kms:encrypt', 'KMS:ENCRYPT', 'Allow'],
    ['kms:Encrypt', 'kms:ReEncryptFrom', 'ImplicitDeny'],
    ['kms:?ncrypt', 'kms:Decrypt', 'ImplicitDeny'],
    ['kms:GenerateDataKey*', 'kms:Generate', 'ImplicitDeny'],
    ['kms:*', 'iam:PassRole', 'ImplicitDeny'],
    ['kms.Encrypt', 'kmsXEncrypt', 'ImplicitDeny'],
  ])('Action %s against %s: %s', (pattern, action, expected) => {
    expect(decision({ Action: pattern }, { action })).toBe(expected);
  });

  test('a list of actions matches any of them', () => {
    expect(decision({ Action: ['kms:Decrypt', 'kms:Encrypt'] })).toBe('Allow');
    expect(decision({ Action: ['kms:Decrypt', 'kms:Sign'] })).toBe('ImplicitDeny');
  });

  test('NotAction matches every action except the listed ones', () => {
    expect(decision({ NotAction: 'iam:*' }, { action: 'kms:Encrypt' })).toBe('Allow');
    expect(decision({ NotAction: 'iam:*' }, { action: 'IAM:PassRole' })).toBe('ImplicitDeny');
    expect(decision({ NotAction: ['kms:Decrypt', 'kms:Encrypt'] }, { action: 'kms:Encrypt' })).toBe('ImplicitDeny');
    expect(decision({ NotAction: ['kms:Decrypt', 'kms:Encrypt'] }, { action: 'kms:Sign' })).toBe('Allow');
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// ARNs with * and ? wildcards, case-sensitive; "Resource": "*"; NotResource.
describe('Resource and NotResource', () => {
  test.each([
    ['*', KEY_ARN, 'Allow'],
    ['*', '*', 'Allow'],
    [KEY_ARN, KEY_ARN, 'Allow'],
    ['arn:aws:kms:*:111122223333:key/*', KEY_ARN, 'Allow'],
    ['arn:aws:kms:us-east-?:111122223333:key/*', KEY_ARN, 'Allow'],
    ['arn:aws:kms:us-east-1:111122223333:alias/*', 'arn:aws:kms:us-east-1:111122223333:alias/rotation/app', 'Allow'],
    ['arn:aws:kms:*:111122223333:key/*', '*', 'ImplicitDeny'],
    ['arn:aws:kms:*:111122223333:key/*', 'arn:aws:kms:us-east-1:111122223333:alias/app', 'ImplicitDeny'],
    ['arn:aws:kms:*:444455556666:key/*', KEY_ARN, 'ImplicitDeny'],
    ['arn:aws:kms:us-east-1:111122223333:key/1234ABCD-12AB-34CD-56EF-1234567890AB', KEY_ARN, 'ImplicitDeny'],
    ['arn:aws:kms:us-east-?:111122223333:key/*', 'arn:aws:kms:us-east-10:111122223333:key/x', 'ImplicitDeny'],
  ])('Resource %s against %s: %s', (pattern, resource, expected) => {
    expect(decision({ Action: 'kms:*', Resource: pattern }, { resource })).toBe(expected);
  });

  test('NotResource matches every resource except the listed ones', () => {
    expect(decision({ Action: 'kms:*', Resource: undefined, NotResource: 'arn:aws:kms:*:*:alias/*' })).toBe('Allow');
    expect(decision({ Action: 'kms:*', Resource: undefined, NotResource: ['arn:aws:kms:*:*:alias/*', KEY_ARN] })).toBe('ImplicitDeny');
    expect(decision({ Action: 'kms:*', Resource: undefined, NotResource: '*' }, { resource: '*' })).toBe('ImplicitDeny');
  });
});

describe('malformed statements fail loudly', () => {
  test.each<[string, Partial<PolicyStatement>, RegExp]>([
    ['no Action', { Resource: '*' }, /exactly one of Action and NotAction/],
    ['Action and NotAction', { Action: '*', NotAction: 'iam:*' }, /exactly one of Action and NotAction/],
    ['no Resource', { Action: '*', Resource: undefined }, /exactly one of Resource and NotResource/],
    ['an unresolved CloudFormation token', { Action: '*', Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } as unknown as string }, /Resource values must be strings/],
    ['a bad Effect', { Action: '*', Effect: 'allow' as 'Allow' }, /Effect must be 'Allow' or 'Deny'/],
    ['a Principal in an identity policy', { Action: '*', Principal: '*' }, /must not have a Principal/],
  ])('%s', (_, statement, message) => {
    expect(() => decision(statement)).toThrow(message);
  });
});
