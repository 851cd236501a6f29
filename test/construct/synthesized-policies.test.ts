import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  customResourceProperties, eventBusesOf, functionArnOf, functionEnvironments, functionIds, functionRoles, identityPoliciesOf, isUnresolved,
  ledgerTableArn, ledgerTableName, resolveIntrinsics, roleArnOf, scheduleOf, sealKeyLogicalId, TEST_ACCOUNT, TEST_REGION, TEST_STACK_ID,
} from './synthesized-policies';
import { RotatingImportedKey, RotationInterval } from '../../lib';

const TEMPLATE = {
  Parameters: { Stage: { Type: 'String', Default: 'prod' } },
  Resources: {
    AppRole1234: { Type: 'AWS::IAM::Role', Properties: {} },
    Ledger1234: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
    Fn1234: { Type: 'AWS::Lambda::Function', Properties: {} },
    Queue1234: { Type: 'AWS::SQS::Queue', Properties: {} },
    Logs1234: { Type: 'AWS::Logs::LogGroup', Properties: {} },
    Key1234: { Type: 'Custom::RotatingImportedKey', Properties: {} },
    Topic1234: { Type: 'AWS::SNS::Topic', Properties: {} },
  },
};

const resolve = (value: unknown) => resolveIntrinsics(TEMPLATE, value);

describe('resolveIntrinsics', () => {
  test.each([
    ['AWS::Partition', 'aws'],
    ['AWS::Region', TEST_REGION],
    ['AWS::AccountId', TEST_ACCOUNT],
    ['AWS::URLSuffix', 'amazonaws.com'],
  ])('Ref %s is %s', (name, value) => {
    expect(resolve({ Ref: name })).toBe(value);
  });

  test('Ref of a role, table or function is its logical id; of a parameter, its default; of a queue, its URL', () => {
    expect(resolve([{ Ref: 'AppRole1234' }, { Ref: 'Ledger1234' }, { Ref: 'Fn1234' }, { Ref: 'Stage' }, { Ref: 'Queue1234' }])).toEqual([
      'AppRole1234', 'Ledger1234', 'Fn1234', 'prod', `https://sqs.us-east-1.amazonaws.com/${TEST_ACCOUNT}/Queue1234`,
    ]);
  });

  test('Fn::GetAtt Arn of a role, table, function, queue and log group', () => {
    expect(resolve([
      { 'Fn::GetAtt': ['AppRole1234', 'Arn'] },
      { 'Fn::GetAtt': ['Ledger1234', 'Arn'] },
      { 'Fn::GetAtt': ['Fn1234', 'Arn'] },
      { 'Fn::GetAtt': ['Queue1234', 'Arn'] },
      { 'Fn::GetAtt': 'Logs1234.Arn' },
    ])).toEqual([
      'arn:aws:iam::111122223333:role/AppRole1234',
      'arn:aws:dynamodb:us-east-1:111122223333:table/Ledger1234',
      'arn:aws:lambda:us-east-1:111122223333:function:Fn1234',
      'arn:aws:sqs:us-east-1:111122223333:Queue1234',
      'arn:aws:logs:us-east-1:111122223333:log-group:Logs1234:*',
    ]);
    expect(roleArnOf('AppRole1234')).toBe('arn:aws:iam::111122223333:role/AppRole1234');
    expect(functionArnOf('Fn1234')).toBe('arn:aws:lambda:us-east-1:111122223333:function:Fn1234');
  });

  test('Fn::Join, Fn::Select and Fn::Split, nested', () => {
    expect(resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':key/*']] }))
      .toBe('arn:aws:kms:us-east-1:111122223333:key/*');
    expect(resolve({ 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Fn1234', 'Arn'] }] }] })).toBe('function');
    expect(resolve({ 'Fn::Select': ['1', ['a', 'b']] })).toBe('b');
  });

  test('Fn::Sub in both forms, with attributes and escaped literals', () => {
    expect(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AppRole1234} ${!Literal}' }))
      .toBe('arn:aws:iam::111122223333:role/AppRole1234 ${Literal}');
    expect(resolve({ 'Fn::Sub': ['${Fn}/${Ledger1234.Arn}', { Fn: { 'Fn::GetAtt': ['Fn1234', 'Arn'] } }] }))
      .toBe('arn:aws:lambda:us-east-1:111122223333:function:Fn1234/arn:aws:dynamodb:us-east-1:111122223333:table/Ledger1234');
  });

  test('custom resource attributes stay unresolved, and so does what is built from them', () => {
    const attribute = resolve({ 'Fn::GetAtt': ['Key1234', 'KeyArn'] });
    expect(attribute).toEqual({ unresolved: { 'Fn::GetAtt': ['Key1234', 'KeyArn'] } });
    const joined = resolve({ 'Fn::Join': ['', ['prefix-', { 'Fn::GetAtt': ['Key1234', 'KeyId'] }]] });
    expect(isUnresolved(joined)).toBe(true);
    expect(isUnresolved(resolve({ 'Fn::Sub': ['${K}', { K: { 'Fn::GetAtt': ['Key1234', 'KeyId'] } }] }))).toBe(true);
  });

  test('plain objects, arrays and scalars pass through with their contents resolved', () => {
    expect(resolve({ a: [1, true, null, { Ref: 'AWS::Region' }], b: 'x' })).toEqual({ a: [1, true, null, TEST_REGION], b: 'x' });
  });

  test.each([
    ['an unknown pseudo parameter', { Ref: 'AWS::StackName' }, /pseudo parameter AWS::StackName is not supported/],
    ['a missing resource', { Ref: 'Nope' }, /refers to Nope, which is not a resource/],
    ['an unsupported attribute', { 'Fn::GetAtt': ['AppRole1234', 'RoleId'] }, /Fn::GetAtt \[AppRole1234, RoleId\] of a AWS::IAM::Role is not supported/],
    ['an unsupported function', { 'Fn::If': ['C', 'a', 'b'] }, /Fn::If is not supported/],
    ['an index out of range', { 'Fn::Select': [2, ['a']] }, /Fn::Select index 2 out of/],
  ])('throws with a clear message on %s', (_name, value, message) => {
    expect(() => resolve(value)).toThrow(message);
  });
});

describe('identityPoliciesOf', () => {
  const template = {
    Resources: {
      R: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [{ PolicyName: 'inline', PolicyDocument: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } } }],
          ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] }],
        },
      },
      Other: { Type: 'AWS::IAM::Role', Properties: {} },
      P: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Other' }, { Ref: 'R' }],
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['Q', 'Arn'] } }] },
        },
      },
      NotMine: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Other' }], PolicyDocument: { Version: '2012-10-17', Statement: [] } } },
      Q: { Type: 'AWS::SQS::Queue' },
    },
  };

  test('collects inline policies and attached policy resources, resolved, and reports managed policy ARNs', () => {
    const policies = identityPoliciesOf(template, 'R');
    expect([...policies]).toEqual([
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] },
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:111122223333:Q' }] },
    ]);
    expect(policies.ignoredManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
  });

  test('refuses a logical id that is not a role', () => {
    expect(() => identityPoliciesOf(template, 'Q')).toThrow(/Q is not an AWS::IAM::Role/);
  });
});

describe('on a synthesized stack (us-east-1, 111122223333)', () => {
  let cached: ReturnType<typeof synthesize> | undefined;
  const synthesized = () => (cached ??= synthesize());

  function synthesize() {
    const app = new App();
    const stack = new Stack(app, 'Policies', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
    const key = new RotatingImportedKey(stack, 'Key', {
      aliasName: 'alias/telemetry',
      rotationInterval: RotationInterval.months(6),
      groupId: 'telemetry',
      policyStatements: [new iam.PolicyStatement({ sid: 'Audit', principals: [new iam.AccountRootPrincipal()], actions: ['kms:DescribeKey'], resources: ['*'] })],
    });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantEncrypt(writer);
    key.grantDecrypt(reader);
    const template = Template.fromStack(stack).toJSON();
    const roleId = (prefix: string) => Object.keys(template.Resources).find((id) => id.startsWith(prefix) && template.Resources[id].Type === 'AWS::IAM::Role')!;
    return { template, writer: roleId('Writer'), reader: roleId('Reader') };
  }

  test('the writer (grantEncrypt) may encrypt when it names the alias, or on the key the alias points at', () => {
    const { template, writer } = synthesized();
    expect([...identityPoliciesOf(template, writer)]).toEqual([{
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: 'arn:aws:kms:us-east-1:111122223333:key/*',
          Condition: {
            StringEquals: {
              'kms:RequestAlias': ['alias/telemetry', 'arn:aws:kms:us-east-1:111122223333:alias/telemetry'],
              'aws:ResourceTag/rotation:group': 'telemetry',
            },
          },
        },
        {
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: 'arn:aws:kms:us-east-1:111122223333:key/*',
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/telemetry' } },
        },
      ],
    }]);
  });

  test('the reader (grantDecrypt) may decrypt with every key of the group', () => {
    const { template, reader } = synthesized();
    expect([...identityPoliciesOf(template, reader)]).toEqual([{
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: 'arn:aws:kms:us-east-1:111122223333:key/*',
        Condition: { StringEquals: { 'aws:ResourceTag/rotation:group': 'telemetry' } },
      }],
    }]);
  });

  test('functionRoles finds the lifecycle, rotation and scheduler roles', () => {
    const { template } = synthesized();
    const roles = functionRoles(template);
    expect(roles).toEqual({
      lifecycle: expect.stringMatching(/^RotatingImportedKeyRotationLifecycleRole[0-9A-F]{8}$/),
      rotation: expect.stringMatching(/^RotatingImportedKeyRotationRole[0-9A-F]{8}$/),
      scheduler: expect.stringMatching(/^RotatingImportedKeyRotationSchedulerRole[0-9A-F]{8}$/),
    });
    for (const id of Object.values(roles)) {
      expect(identityPoliciesOf(template, id).ignoredManagedPolicyArns).toEqual([]);
    }
  });

  test('customResourceProperties resolves every property to a string, ServiceToken and role ARNs included', () => {
    const { template } = synthesized();
    const roles = functionRoles(template);
    const framework = Object.keys(template.Resources).find((id) => template.Resources[id].Properties?.Handler === 'framework.onEvent')!;
    expect(customResourceProperties(template)).toEqual({
      ServiceToken: functionArnOf(framework),
      GroupId: 'telemetry',
      AliasName: 'alias/telemetry',
      IntervalMonths: '6',
      Description: '',
      KeyPolicyStatements: JSON.stringify([{
        Action: 'kms:DescribeKey', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Resource: '*', Sid: 'Audit',
      }]),
      Tags: '{}',
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_4096',
      MaterialValidityDays: '0',
      RemovalPolicy: 'retain',
      PendingWindowDays: '30',
      LifecycleRoleArn: roleArnOf(roles.lifecycle),
      RotationRoleArn: roleArnOf(roles.rotation),
      AccountId: TEST_ACCOUNT,
      Partition: 'aws',
      PropagationWindowSeconds: '420',
      ScheduleHour: '3',
      ScheduleTimeZone: 'Etc/UTC',
      StackId: TEST_STACK_ID,
      EmergencyRotationsPerDay: '3',
    });
  });

  test('scheduleOf reads the expression, time zone, input and target', () => {
    const { template } = synthesized();
    expect(scheduleOf(template)).toEqual({
      expression: 'cron(0/10 * * * ? *)',
      timeZone: 'Etc/UTC',
      input: { action: 'rotate-if-due', aliasName: 'alias/telemetry', groupId: 'telemetry' },
      targetArn: functionArnOf(functionIds(template).rotation),
    });
  });

  test('ledgerTableName and the functions\' environments name the same table', () => {
    const { template } = synthesized();
    const table = ledgerTableName(template);
    expect(table).toMatch(/^RotatingImportedKeyRotationLedger[0-9A-F]{8}$/);
    expect(ledgerTableArn(template)).toBe(`arn:aws:dynamodb:us-east-1:111122223333:table/${table}`);
    const environment = {
      LEDGER_TABLE_NAME: table,
      POWERTOOLS_SERVICE_NAME: 'rotating-imported-key',
      SETTINGS_SEAL_KEY_ARN: `arn:aws:kms:us-east-1:111122223333:key/${sealKeyLogicalId(template, 'settings')}`,
      STATE_SEAL_KEY_ARN: `arn:aws:kms:us-east-1:111122223333:key/${sealKeyLogicalId(template, 'state')}`,
    };
    const [bus] = eventBusesOf(template);
    expect(bus.name).toMatch(/^PoliciesRotatingImportedKeyRotation[0-9A-F]{8}-events$/);
    expect(bus.arn).toBe(`arn:aws:events:us-east-1:111122223333:event-bus/${bus.name}`);
    expect(functionEnvironments(template)).toEqual({
      lifecycle: { ...environment, STACK_ID: 'arn:aws:cloudformation:us-east-1:111122223333:stack/Platform/00000000-0000-0000-0000-000000000000' },
      rotation: { ...environment, EVENT_BUS_NAME: bus.name },
    });
  });

  test('the finders refuse what is ambiguous or missing', () => {
    const { template } = synthesized();
    expect(() => customResourceProperties(template, 'Nope')).toThrow(/Nope is not a Custom::RotatingImportedKey/);
    expect(() => scheduleOf({ Resources: {} })).toThrow(/expected exactly one AWS::Scheduler::Schedule, found 0/);
    expect(() => functionRoles({ Resources: {} })).toThrow(/handler index.lifecycleHandler, found 0/);
  });
});
