import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { aliasArn, newStack, onlyLogicalId, stackWithKey, statementsOfRole } from './helpers';
import { RotatingImportedKey, RotationInterval } from '../../lib';

// Services that take an `encryptionKey` get the alias ARN, read from the key
// group's custom resource: they follow rotation and are created after generation 1.
function aliasArnOf(template: Template): unknown {
  return { 'Fn::GetAtt': [onlyLogicalId(template, 'Custom::RotatingImportedKey'), 'AliasArn'] };
}

describe('use as encryptionKey', () => {
  test('S3 bucket default encryption uses the alias ARN', () => {
    const { stack, key, template } = stackWithKey();
    new s3.Bucket(stack, 'Bucket', { encryptionKey: key, enforceSSL: true });
    const t = template();
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: aliasArnOf(t) } }],
      },
    });
  });

  test('S3 bucket read/write grants reach the key with rotation-following scopes', () => {
    const { stack, key, template } = stackWithKey({ groupId: 'telemetry' });
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    bucket.grantRead(role);
    const kmsStatements = statementsOfRole(template(), 'Reader').filter((s) => JSON.stringify(s.Action).includes('kms:'));
    // Reading old objects needs every generation, so decryption is scoped by the group tag.
    expect(kmsStatements).toEqual([
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Condition: { StringEquals: { 'aws:ResourceTag/rotation:group': 'telemetry' } } }),
    ]);
  });

  test('SQS send grants encrypt with the current generation and decrypt with any', () => {
    const { stack, key, template } = stackWithKey({ groupId: 'telemetry' });
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
    const role = new iam.Role(stack, 'Sender', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    queue.grantSendMessages(role);
    const kmsStatements = statementsOfRole(template(), 'Sender').filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kmsStatements.map((s) => [s.Action, s.Condition])).toEqual([
      [
        ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        { StringEquals: { 'kms:RequestAlias': ['alias/telemetry', aliasArn('alias/telemetry')], 'aws:ResourceTag/rotation:group': 'telemetry' } },
      ],
      [['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/telemetry' } }],
      ['kms:Decrypt', { StringEquals: { 'aws:ResourceTag/rotation:group': 'telemetry' } }],
    ]);
  });

  test('SQS queue uses the alias ARN as KmsMasterKeyId', () => {
    const { stack, key, template } = stackWithKey();
    new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key, enforceSSL: true });
    const t = template();
    t.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: aliasArnOf(t) });
  });

  test('SNS topic uses the alias ARN as KmsMasterKeyId', () => {
    const { stack, key, template } = stackWithKey();
    new sns.Topic(stack, 'Topic', { masterKey: key });
    const t = template();
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: aliasArnOf(t) });
  });

  test('Secrets Manager secret uses the alias ARN and is created after the key group', () => {
    const { stack, key, template } = stackWithKey();
    new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
    const t = template();
    t.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: aliasArnOf(t) });
  });

  test('a consumer in another stack of the same environment imports the alias ARN', () => {
    const { stack, key } = stackWithKey();
    const other = new Stack(stack.node.root, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });
    new sqs.Queue(other, 'Queue', { encryptionMasterKey: key });
    Template.fromStack(other).hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::ImportValue': Match.anyValue() } });
  });

  test('the encryptionKey of an S3 bucket with a fresh stack has no KMS key or alias resource', () => {
    const stack = newStack();
    const key = new RotatingImportedKey(stack, 'K', { aliasName: 'alias/k', rotationInterval: RotationInterval.months(1) });
    new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    const t = Template.fromStack(stack);
    // The only keys are the ledger's two HMAC seal keys.
    expect(Object.values<any>(t.findResources('AWS::KMS::Key')).map((k) => k.Properties.KeySpec)).toEqual(['HMAC_256', 'HMAC_256']);
    t.resourceCountIs('AWS::KMS::Alias', 0);
  });
});
