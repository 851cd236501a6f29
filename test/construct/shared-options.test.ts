import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BASE_PROPS, newStack } from './helpers';
import { TEST_ACCOUNT, TEST_REGION } from './synthesized-policies';
import { RotatingImportedKey } from '../../lib';

describe('logEncryptionKey', () => {
  const stack = newStack();
  const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
  new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, logEncryptionKey: logKey });
  new RotatingImportedKey(stack, 'Second', { aliasName: 'alias/second', rotationInterval: BASE_PROPS.rotationInterval });
  const template = Template.fromStack(stack);
  const logKeyArn = { 'Fn::GetAtt': [stack.getLogicalId(logKey.node.defaultChild as kms.CfnKey), 'Arn'] };

  test('encrypts the three log groups (lifecycle, rotation, provider) with the key ARN', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(3);
    for (const group of groups) expect(group.Properties.KmsKeyId).toEqual(logKeyArn);
  });

  test('the key policy lets CloudWatch Logs use the key for this account\'s log groups in this Region only', () => {
    const policy = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy;
    expect(policy.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: `logs.${TEST_REGION}.amazonaws.com` },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:*`]] } } },
    });
  });

  test('refuses a RotatingImportedKey or an alias: CloudWatch Logs needs a key ARN', () => {
    const s = newStack();
    const rotating = new RotatingImportedKey(s, 'Logs', { aliasName: 'alias/logs', rotationInterval: BASE_PROPS.rotationInterval });
    expect(() => new RotatingImportedKey(s, 'Key', { ...BASE_PROPS, logEncryptionKey: rotating }))
      .toThrow(/logEncryptionKey must be a KMS key \(kms.Key, or kms.Key.fromKeyArn\), not an alias or a RotatingImportedKey: CloudWatch Logs needs a key ARN; received TestStack\/Logs/);
    const alias = kms.Alias.fromAliasName(s, 'Alias', 'alias/conventional');
    expect(() => new RotatingImportedKey(s, 'Other', { ...BASE_PROPS, aliasName: 'alias/other', logEncryptionKey: alias })).toThrow(/not an alias/);
  });

  test('a later key group of the stack must pass the same key or none', () => {
    const s = newStack();
    new RotatingImportedKey(s, 'First', BASE_PROPS);
    const late = new kms.Key(s, 'Late');
    expect(() => new RotatingImportedKey(s, 'Key', { ...BASE_PROPS, aliasName: 'alias/late', logEncryptionKey: late }))
      .toThrow(/logEncryptionKey must be the same for every key group of a stack \(the log groups are shared\) or omitted; the first key group, TestStack\/First, set none: pass the key to it/);
  });
});

describe('deadLetterAlarmActions', () => {
  test('become the dead-letter alarm\'s actions; a later group must pass the same or none', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Pager');
    const actions = [new cloudwatchActions.SnsAction(topic)];
    const key = new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, deadLetterAlarmActions: actions });
    new RotatingImportedKey(stack, 'Same', { ...BASE_PROPS, aliasName: 'alias/same', deadLetterAlarmActions: actions });
    new RotatingImportedKey(stack, 'None', { ...BASE_PROPS, aliasName: 'alias/none' });
    expect(() => new RotatingImportedKey(stack, 'Other', { ...BASE_PROPS, aliasName: 'alias/other', deadLetterAlarmActions: [new cloudwatchActions.SnsAction(topic)] }))
      .toThrow(/deadLetterAlarmActions must be the same for every key group of a stack \(the alarm is shared\) or omitted; the first key group, TestStack\/Key, set 1 action\(s\)/);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }] });
    expect(key.deadLetterAlarm).toBeDefined();
  });
});
