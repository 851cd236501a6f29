import { Duration, RemovalPolicy, Stack, Tags, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { expiringProvidedMaterial, onlyLogicalId, stackWithKey } from './helpers';
import { customResourceProperties, functionRoles, ledgerTableName, roleArnOf, TEST_STACK_ID } from './synthesized-policies';
import { RotationInterval, WrappingAlgorithm, WrappingKeySpec } from '../../lib';

describe('the key group custom resource', () => {
  test('has the wire-contract properties, all strings once deployed, with their defaults', () => {
    const { template, key } = stackWithKey();
    const t = template().toJSON();
    const roles = functionRoles(t);
    const { ServiceToken: _token, ...properties } = customResourceProperties(t);
    expect(properties).toEqual({
      GroupId: key.groupId,
      AliasName: 'alias/telemetry',
      IntervalMonths: '6',
      Description: '',
      KeyPolicyStatements: '[]',
      Tags: '{}',
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_4096',
      MaterialValidityDays: '0',
      RemovalPolicy: 'retain',
      PendingWindowDays: '30',
      LifecycleRoleArn: roleArnOf(roles.lifecycle),
      RotationRoleArn: roleArnOf(roles.rotation),
      AccountId: '111122223333',
      Partition: 'aws',
      PropagationWindowSeconds: '420',
      ScheduleHour: '3',
      ScheduleTimeZone: 'Etc/UTC',
      StackId: TEST_STACK_ID,
      EmergencyRotationsPerDay: '3',
    });
  });

  test('the role ARNs are references to the two function roles', () => {
    const { template } = stackWithKey();
    const roles = functionRoles(template().toJSON());
    template().hasResourceProperties('Custom::RotatingImportedKey', {
      LifecycleRoleArn: { 'Fn::GetAtt': [roles.lifecycle, 'Arn'] },
      RotationRoleArn: { 'Fn::GetAtt': [roles.rotation, 'Arn'] },
    });
  });

  test('renders every prop into its property', () => {
    const { template } = stackWithKey((stack) => ({
      aliasName: 'alias/payments/ledger',
      rotationInterval: RotationInterval.years(1),
      description: 'Ledger key',
      tags: { 'team': 'payments', 'cost-center': '42' },
      wrappingAlgorithm: WrappingAlgorithm.RSA_AES_KEY_WRAP_SHA_256,
      wrappingKeySpec: WrappingKeySpec.RSA_3072,
      ...expiringProvidedMaterial(stack, 365),
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
      groupId: 'ledger',
      propagationWindow: Duration.minutes(15),
      scheduleHour: 22,
      scheduleTimeZone: TimeZone.EUROPE_BERLIN,
      maxEmergencyRotationsPerDay: 12,
    }));
    template().hasResourceProperties('Custom::RotatingImportedKey', {
      GroupId: 'ledger',
      AliasName: 'alias/payments/ledger',
      IntervalMonths: '12',
      Description: 'Ledger key',
      // sorted by key, so the property does not change with declaration order
      Tags: JSON.stringify({ 'cost-center': '42', 'team': 'payments' }),
      WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      WrappingKeySpec: 'RSA_3072',
      MaterialValidityDays: '365',
      RemovalPolicy: 'destroy',
      PendingWindowDays: '7',
      PropagationWindowSeconds: '900',
      ScheduleHour: '22',
      ScheduleTimeZone: 'Europe/Berlin',
      EmergencyRotationsPerDay: '12',
    });
  });

  test('uses resource type Custom::RotatingImportedKey and depends on both roles, their policies and the ledger', () => {
    const { template } = stackWithKey();
    const t = template();
    const roles = functionRoles(t.toJSON());
    // Each role's inline policy, and its managed policy for replaced groups (lib/rotation-services.ts): a replacing Create needs it.
    const policyOf = (role: string) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']
      .flatMap((type) => Object.keys(t.findResources(type, { Properties: { Roles: [{ Ref: role }] } })));
    expect(policyOf(roles.lifecycle)).toHaveLength(2);
    expect(policyOf(roles.rotation)).toHaveLength(2);
    const [resource] = Object.values(t.findResources('Custom::RotatingImportedKey')) as any[];
    expect([...resource.DependsOn].sort()).toEqual([
      roles.lifecycle, ...policyOf(roles.lifecycle), roles.rotation, ...policyOf(roles.rotation), ledgerTableName(t.toJSON()),
    ].sort());
  });

  test('key policy statements are rendered as a JSON array string, tokens included', () => {
    const { template } = stackWithKey({
      policyStatements: [
        new iam.PolicyStatement({
          sid: 'AllowAuditRead',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:DescribeKey'],
          resources: ['*'],
        }),
      ],
    });
    const [resource] = Object.values(template().findResources('Custom::RotatingImportedKey')) as any[];
    const rendered = resource.Properties.KeyPolicyStatements;
    // The account is concrete in this stack; the partition stays a reference until deployed.
    expect(rendered['Fn::Join'][1]).toContainEqual({ Ref: 'AWS::Partition' });
    expect(JSON.parse(customResourceProperties(template().toJSON()).KeyPolicyStatements)).toEqual([
      {
        Action: 'kms:DescribeKey',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Resource: '*',
        Sid: 'AllowAuditRead',
      },
    ]);
  });

  test('tags added with Tags.of() reach every generation, beside the tags prop', () => {
    const { stack, template } = stackWithKey({ tags: { team: 'payments' } });
    Tags.of(stack).add('environment', 'prod');
    template().hasResourceProperties('Custom::RotatingImportedKey', {
      Tags: JSON.stringify({ environment: 'prod', team: 'payments' }),
    });
  });

  test('tags added with Tags.of() are validated at synth', () => {
    const { stack, template } = stackWithKey();
    Tags.of(stack).add('rotation:stage', 'current');
    expect(() => template()).toThrow(/tags: keys must not start with 'rotation:'/);
  });

  test('exposes the deploy-time attributes of the custom resource', () => {
    const { key, template } = stackWithKey();
    const id = onlyLogicalId(template(), 'Custom::RotatingImportedKey');
    const resolve = (x: string) => Stack.of(key).resolve(x);
    expect(resolve(key.currentKeyArn)).toEqual({ 'Fn::GetAtt': [id, 'KeyArn'] });
    expect(resolve(key.currentKeyId)).toEqual({ 'Fn::GetAtt': [id, 'KeyId'] });
    expect(resolve(key.currentGeneration)).toEqual({ 'Fn::GetAtt': [id, 'Generation'] });
  });

  test('keyArn and keyId are the alias ARN and name, read from the custom resource', () => {
    const { key, template } = stackWithKey();
    const id = onlyLogicalId(template(), 'Custom::RotatingImportedKey');
    const resolve = (x: string) => Stack.of(key).resolve(x);
    expect(resolve(key.keyArn)).toEqual({ 'Fn::GetAtt': [id, 'AliasArn'] });
    expect(resolve(key.keyId)).toEqual({ 'Fn::GetAtt': [id, 'AliasName'] });
    expect(resolve(key.keyRef.keyArn)).toEqual(resolve(key.keyArn));
    expect(key.aliasName).toBe('alias/telemetry');
    expect(resolve(key.aliasArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:us-east-1:111122223333:alias/telemetry']],
    });
  });

  test('the default group id is derived from the construct path, stable and within the charset', () => {
    const first = stackWithKey().key.groupId;
    const second = stackWithKey().key.groupId;
    expect(first).toBe(second);
    expect(first).toMatch(/^[A-Za-z0-9-]{1,64}$/);
    expect(first).toMatch(/^TestStack-TelemetryKey-[0-9A-F]{8}$/);
  });

  test('an explicit group id is used everywhere, including the generation alias prefix', () => {
    const { key, template } = stackWithKey({ groupId: 'telemetry-prod' });
    expect(key.groupId).toBe('telemetry-prod');
    expect(key.generationAliasPrefix).toBe('alias/rotation/telemetry-prod/');
    template().hasResourceProperties('Custom::RotatingImportedKey', { GroupId: 'telemetry-prod' });
  });

  test('RETAIN is the default: no deletion, custom resource itself is deleted normally', () => {
    const { template } = stackWithKey();
    template().hasResource('Custom::RotatingImportedKey', {
      Properties: Match.objectLike({ RemovalPolicy: 'retain' }),
      DeletionPolicy: 'Delete',
    });
  });
});
