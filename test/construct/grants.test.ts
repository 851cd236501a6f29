import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { aliasArn, KEY_ARNS, stackWithKey, statementsOfRole } from './helpers';
import { functionArnOf, functionIds } from './synthesized-policies';

function withRole() {
  const setup = stackWithKey({ groupId: 'telemetry' });
  const role = new iam.Role(setup.stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { ...setup, role, appStatements: () => statementsOfRole(setup.template(), 'AppRole') };
}

const ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/** Requests that name the alias (a request property: holds the moment the alias moves), on the group's keys. */
const ENCRYPT_BY_REQUEST_ALIAS = {
  Effect: 'Allow',
  Action: ENCRYPT_ACTIONS,
  Resource: KEY_ARNS,
  Condition: {
    StringEquals: {
      'kms:RequestAlias': ['alias/telemetry', aliasArn('alias/telemetry')],
      'aws:ResourceTag/rotation:group': 'telemetry',
    },
  },
};

/** The key the alias points at, for callers that resolved the alias to a key id. */
const ENCRYPT_BY_RESOURCE_ALIAS = {
  Effect: 'Allow',
  Action: ENCRYPT_ACTIONS,
  Resource: KEY_ARNS,
  Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/telemetry' } },
};

const DECRYPT_STATEMENT = {
  Effect: 'Allow',
  Action: ['kms:Decrypt', 'kms:DescribeKey'],
  Resource: KEY_ARNS,
  Condition: { StringEquals: { 'aws:ResourceTag/rotation:group': 'telemetry' } },
};

describe('grants that follow rotation', () => {
  test('grantEncrypt: encrypt-side actions when the request names the alias or on the key behind it, and no decrypt', () => {
    const { key, role, appStatements } = withRole();
    const grant = key.grantEncrypt(role);
    expect(grant.success).toBe(true);
    expect(appStatements()).toEqual([ENCRYPT_BY_REQUEST_ALIAS, ENCRYPT_BY_RESOURCE_ALIAS]);
    expect(JSON.stringify(appStatements())).not.toContain('kms:Decrypt');
  });

  test('grantDecrypt: decrypt on every generation of the group (tag), and no encrypt', () => {
    const { key, role, appStatements } = withRole();
    key.grantDecrypt(role);
    expect(appStatements()).toEqual([DECRYPT_STATEMENT]);
    expect(JSON.stringify(appStatements())).not.toMatch(/kms:Encrypt|GenerateDataKey|ReEncrypt/);
  });

  test('grantEncryptDecrypt: both statements, each with its own scope', () => {
    const { key, role, appStatements } = withRole();
    const grant = key.grantEncryptDecrypt(role);
    expect(grant.success).toBe(true);
    expect(appStatements()).toEqual([ENCRYPT_BY_REQUEST_ALIAS, ENCRYPT_BY_RESOURCE_ALIAS, DECRYPT_STATEMENT]);
  });

  test('grant(): kms:Decrypt and DescribeKey on every generation, other actions on the current one', () => {
    const { key, role, appStatements } = withRole();
    key.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*');
    expect(appStatements()).toEqual([
      { ...ENCRYPT_BY_REQUEST_ALIAS, Action: ['kms:Encrypt', 'kms:GenerateDataKey*'] },
      { ...ENCRYPT_BY_RESOURCE_ALIAS, Action: ['kms:Encrypt', 'kms:GenerateDataKey*'] },
      { ...DECRYPT_STATEMENT, Action: 'kms:Decrypt' },
    ]);
  });

  test('a grantee of encryption cannot decrypt retired generations, a grantee of decryption cannot encrypt', () => {
    const { key, stack, appStatements } = withRole();
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantEncrypt(writer);
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantDecrypt(reader);
    const template = Template.fromStack(stack);
    const writerActions = statementsOfRole(template, 'Writer').flatMap((s) => s.Action);
    const readerActions = statementsOfRole(template, 'Reader').flatMap((s) => s.Action);
    expect(writerActions).not.toContain('kms:Decrypt');
    expect(readerActions).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(appStatements()).toEqual([]);
  });

  test('grant() of encrypt-side actions only uses alias scoping', () => {
    const { key, role, appStatements } = withRole();
    key.grant(role, 'kms:GenerateDataKey', 'kms:ReEncryptTo');
    expect(appStatements()).toEqual([
      { ...ENCRYPT_BY_REQUEST_ALIAS, Action: ['kms:GenerateDataKey', 'kms:ReEncryptTo'] },
      { ...ENCRYPT_BY_RESOURCE_ALIAS, Action: ['kms:GenerateDataKey', 'kms:ReEncryptTo'] },
    ]);
  });

  test('grant() of the decrypt-side actions only uses tag scoping', () => {
    const { key, role, appStatements } = withRole();
    key.grant(role, 'kms:Decrypt', 'kms:DescribeKey');
    expect(appStatements()).toEqual([DECRYPT_STATEMENT]);
  });

  test('grantRotateNow: invoking the rotation function (and its versions), nothing else', () => {
    const { key, role, appStatements, template } = withRole();
    const grant = key.grantRotateNow(role);
    expect(grant.success).toBe(true);
    const rotation = functionArnOf(functionIds(template().toJSON()).rotation);
    expect(appStatements()).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [rotation, `${rotation}:*`] }]);
  });

  test('grant() without actions is refused', () => {
    const { key, role } = withRole();
    expect(() => key.grant(role)).toThrow(/grant\(\) needs at least one action/);
  });

  test('the grants do not touch any key policy (no key resource in the stack but the two seal keys, which name no grantee)', () => {
    const { key, role, template } = withRole();
    key.grantEncryptDecrypt(role);
    const keys = Object.values<any>(template().findResources('AWS::KMS::Key'));
    expect(keys.map((k) => k.Properties.KeySpec)).toEqual(['HMAC_256', 'HMAC_256']);
    const roleId = Stack.of(role).getLogicalId(role.node.defaultChild as iam.CfnRole);
    expect(JSON.stringify(keys)).not.toContain(roleId);
    template().resourceCountIs('AWS::KMS::Alias', 0);
  });

  test.each([
    ['grantSign'], ['grantVerify'], ['grantSignVerify'], ['grantGenerateMac'], ['grantVerifyMac'],
  ] as const)('%s is refused: generations are symmetric encryption keys', (method) => {
    const { key, role } = withRole();
    expect(() => key[method](role)).toThrow(new RegExp(`${method}\\(\\) is not supported; generations are symmetric encryption keys`));
  });
});

describe('IKey behaviour', () => {
  test('addAlias is refused: the rotation function owns the aliases', () => {
    const { key } = stackWithKey();
    expect(() => key.addAlias('alias/other')).toThrow(/addAlias\("alias\/other"\) is not supported/);
  });

  test('addToResourcePolicy adds nothing and warns to use policyStatements', () => {
    const { key, stack } = stackWithKey();
    const result = key.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], principals: [new iam.AccountRootPrincipal()], resources: ['*'] }));
    expect(result.statementAdded).toBe(false);
    Annotations.fromStack(stack).hasWarning('/TestStack/TelemetryKey', Match.stringLikeRegexp('pass the statement in the policyStatements prop'));
  });

  test('addToResourcePolicy with allowNoOp false throws', () => {
    const { key } = stackWithKey();
    expect(() => key.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'] }), false))
      .toThrow(/pass the statement in the policyStatements prop/);
  });

  test('applyRemovalPolicy is refused in favour of the removalPolicy prop', () => {
    const { key } = stackWithKey();
    expect(() => key.applyRemovalPolicy(RemovalPolicy.DESTROY)).toThrow(/set the removalPolicy prop/);
  });

  test('is an environment-aware resource of its stack', () => {
    const { key, stack } = stackWithKey();
    expect(key.stack).toBe(stack);
    expect(key.env).toEqual({ account: '111122223333', region: 'us-east-1' });
    expect(Stack.of(key).resolve(key.keyRef.keyId)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TelemetryKey/), 'AliasName'] });
  });

  test('does not warn with the defaults', () => {
    const { stack } = stackWithKey();
    Annotations.fromStack(stack).hasNoWarning('/TestStack/TelemetryKey', Match.anyValue());
  });
});
