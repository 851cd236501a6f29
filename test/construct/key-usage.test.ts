import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CDK_JSON_CONTEXT } from './every-option-stack';
import { statementsOfRole } from './helpers';
import { TEST_ACCOUNT, TEST_REGION } from './synthesized-policies';
import { ExampleStack } from '../../example/example-stack';
import { KeyUsageFinding, RotatingImportedKey, RotationInterval } from '../../lib';
import { SERVICE_KEY_FIELDS } from '../../lib/private/service-table';

// The synth-time checks on real aws-cdk-lib constructs. One app holds every
// consumer (one synth); each test reads the annotations of its resources.

const ENV = { account: TEST_ACCOUNT, region: TEST_REGION };
const PREFIX = 'cdk-rotating-imported-key:';

interface Message { readonly level: string; readonly path: string; readonly text: string }

/** The key-usage findings of a stack, by construct path. */
function findingsOf(stack: Stack): Message[] {
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findWarning('*', Match.anyValue()), ...annotations.findError('*', Match.anyValue())]
    .map((m) => ({ level: m.level, path: m.id, text: String(m.entry.data) }))
    .filter((m) => m.text.includes(PREFIX));
}

/** The ids of the findings on a construct (its L1 resources), e.g. ['warning resolvedOnce']. */
function idsAt(messages: Message[], constructPath: string): string[] {
  return messages.filter((m) => m.path === `/${constructPath}` || m.path.startsWith(`/${constructPath}/`))
    .map((m) => `${m.level} ${/cdk-rotating-imported-key:(\w+)/.exec(m.text)![1]}`).sort();
}

describe('key-usage checks on one app with every kind of consumer', () => {
  const app = new App({ context: CDK_JSON_CONTEXT });
  const stack = new Stack(app, 'Consumers', { env: ENV });
  const key = new RotatingImportedKey(stack, 'Key', { aliasName: 'alias/data', rotationInterval: RotationInterval.months(6), groupId: 'data' });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });

  // Services that follow the alias.
  new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
  new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
  new sns.Topic(stack, 'Topic', { masterKey: key });
  new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
  new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
  const code = lambda.Code.fromInline('exports.handler = async () => {}');
  new lambda.Function(stack, 'UsesAliasInEnvironment', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, environment: { KEY: key.keyArn } });

  // Services that resolve the alias once.
  new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
  });
  new dynamodb.TableV2(stack, 'TableV2', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
  });
  new ec2.Volume(stack, 'Volume', { availabilityZone: `${TEST_REGION}a`, size: Size.gibibytes(1), encrypted: true, encryptionKey: key });
  new rds.DatabaseInstance(stack, 'Database', {
    engine: rds.DatabaseInstanceEngine.POSTGRES, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, storageEncryptionKey: key,
  });
  new efs.FileSystem(stack, 'FileSystem', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, kmsKey: key });
  new cloudtrail.Trail(stack, 'Trail', { encryptionKey: key });

  // Services that need a key ARN.
  new logs.LogGroup(stack, 'LogGroup', { encryptionKey: key });
  new lambda.Function(stack, 'EncryptedEnvironment', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, environmentEncryption: key });
  const target = { bind: () => ({ arn: 'arn:aws:sqs:us-east-1:111122223333:q', role: reader }) };
  new scheduler.Schedule(stack, 'Schedule', { schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), target, key });
  new backup.BackupVault(stack, 'Vault', { encryptionKey: key });

  // One generation pinned where the alias belongs, and a deploy-time value in an environment variable.
  new s3.Bucket(stack, 'PinnedBucket', { encryptionKey: kms.Key.fromKeyArn(stack, 'PinnedKey', key.currentKeyArn) });
  new sqs.CfnQueue(stack, 'PinnedQueue', { kmsMasterKeyId: key.currentKeyId });
  new lambda.Function(stack, 'UsesGenerationInEnvironment', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, environment: { KEY: key.currentKeyArn } });

  // Glue grants through KeyGrants.fromKey: on the alias ARN.
  const catalogRole = new iam.Role(stack, 'CatalogRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
  glue.Catalog.encryptAccount(stack, { encryptionAtRest: glue.DataCatalogEncryptionAtRest.kmsWithServiceRole(catalogRole, key) });
  const glueReader = new iam.Role(stack, 'GlueReader', { assumedBy: new iam.AccountRootPrincipal() });
  const table = new glue.S3Table(stack, 'GlueTable', {
    database: new glue.Database(stack, 'GlueDatabase'),
    columns: [{ name: 'a', type: glue.Schema.STRING }],
    dataFormat: glue.DataFormat.JSON,
    clientSideEncryption: glue.TableClientSideEncryption.kms(key),
  });
  table.grantRead(glueReader);

  // Acknowledged: an error on a log group and a warning on a table, each with its reason.
  const ackedLogs = new logs.LogGroup(stack, 'AcknowledgedLogGroup', { encryptionKey: key });
  Validations.of(ackedLogs).acknowledge({ id: KeyUsageFinding.KEY_ARN_REQUIRED, reason: 'Test: deployed only to show the acknowledgement.' });
  const ackedTable = new dynamodb.Table(stack, 'AcknowledgedTable', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key,
  });
  Validations.of(ackedTable).acknowledge({ id: KeyUsageFinding.RESOLVED_ONCE, reason: 'Test: the table is re-pointed by a runbook after each rotation.' });

  // A consumer in another stack of the same environment.
  const other = new Stack(app, 'OtherConsumers', { env: ENV });
  new dynamodb.Table(other, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key,
  });
  new sqs.Queue(other, 'Queue', { encryptionMasterKey: key });

  const messages = findingsOf(stack);
  const otherMessages = findingsOf(other);

  test.each(['Bucket', 'Queue', 'Topic', 'Secret', 'Stream', 'UsesAliasInEnvironment'])('%s follows the alias: no finding', (id) => {
    expect(idsAt(messages, `Consumers/${id}`)).toEqual([]);
  });

  test.each(['Table', 'TableV2', 'Volume', 'Database', 'FileSystem', 'Trail'])('%s resolves the alias once: a warning', (id) => {
    expect(idsAt(messages, `Consumers/${id}`)).toEqual(['warning resolvedOnce']);
  });

  test.each(['LogGroup', 'EncryptedEnvironment', 'Schedule', 'Vault'])('%s needs a key ARN: an error naming a conventional kms.Key', (id) => {
    expect(idsAt(messages, `Consumers/${id}`)).toEqual(['error keyArnRequired']);
    expect(messages.find((m) => m.path.startsWith(`/Consumers/${id}/`))!.text).toMatch(/Use a conventional kms\.Key \(enableKeyRotation: true\)/);
  });

  test('the resolved-once warning says what happens at rotation and what to do', () => {
    const text = messages.find((m) => m.path === '/Consumers/Table/Resource')!.text;
    expect(text).toContain('DynamoDB (AWS::DynamoDB::Table SSESpecification.KMSMasterKeyId) resolves key group Consumers/Key (alias/data, through keyArn) once');
    expect(text).toContain('fenced a propagation window later');
    expect(text).toContain('Re-point it after each rotation (UpdateTable with the new generation after each rotation)');
  });

  test('a generation in a key setting is an error, in an environment variable a warning', () => {
    expect(idsAt(messages, 'Consumers/PinnedBucket')).toEqual(['error pinnedGeneration']);
    expect(idsAt(messages, 'Consumers/PinnedQueue')).toEqual(['error pinnedGeneration']);
    expect(messages.find((m) => m.path === '/Consumers/PinnedQueue')!.text).toMatch(/is given currentKeyId of key group Consumers\/Key .*A redeploy with unchanged props does not change it/);
    expect(idsAt(messages, 'Consumers/UsesGenerationInEnvironment')).toEqual(['warning deployTimeValue']);
  });

  test('Glue grants on the alias ARN (KeyGrants.fromKey) are reported with the fix; its catalog setting is an unknown service', () => {
    expect(idsAt(messages, 'Consumers/GlueReader')).toEqual(['warning grantOnAliasArn']);
    expect(idsAt(messages, 'Consumers/CatalogRole')).toEqual(['warning grantOnAliasArn']);
    expect(messages.find((m) => m.path.startsWith('/Consumers/GlueReader/'))!.text).toMatch(/authorizes nothing.*also call key\.grantEncryptDecrypt\(principal\)/);
    const catalog = messages.filter((m) => m.text.includes('AWS::Glue::DataCatalogEncryptionSettings'));
    expect(catalog.map((m) => m.level)).toEqual(['warning']);
    expect(catalog[0].text).toContain(`${PREFIX}unknownService`);
  });

  test('acknowledged findings, an error and a warning, are not reported', () => {
    expect(idsAt(messages, 'Consumers/AcknowledgedLogGroup')).toEqual([]);
    expect(idsAt(messages, 'Consumers/AcknowledgedTable')).toEqual([]);
  });

  test('consumers in another stack are checked too', () => {
    expect(idsAt(otherMessages, 'OtherConsumers/Table')).toEqual(['warning resolvedOnce']);
    expect(idsAt(otherMessages, 'OtherConsumers/Queue')).toEqual([]);
  });

  test('the library\'s own resources get no finding', () => {
    expect(messages.filter((m) => m.path.startsWith('/Consumers/Key/') || m.path.startsWith('/Consumers/RotatingImportedKeyRotation/'))).toEqual([]);
  });
});

test('the example app gets no key-usage finding', () => {
  const app = new App({ context: CDK_JSON_CONTEXT });
  expect(findingsOf(new ExampleStack(app, 'RotatingImportedKeyExample'))).toEqual([]);
});

describe('grants on L1 resources (aws-cdk-lib traits) reach the key group through its own grants', () => {
  const app = new App({ context: CDK_JSON_CONTEXT });
  const stack = new Stack(app, 'L1', { env: ENV });
  const key = new RotatingImportedKey(stack, 'Key', { aliasName: 'alias/l1', rotationInterval: RotationInterval.months(6), groupId: 'l1' });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
  const bucket = new s3.CfnBucket(stack, 'Bucket', {
    bucketEncryption: { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.keyArn } }] },
  });
  s3.BucketGrants.fromBucket(bucket).read(role('BucketReader'));
  sqs.QueueGrants.fromQueue(new sqs.CfnQueue(stack, 'Queue', { kmsMasterKeyId: key.keyArn })).sendMessages(role('QueueSender'));
  sns.TopicGrants.fromTopic(new sns.CfnTopic(stack, 'Topic', { kmsMasterKeyId: key.keyArn })).publish(role('TopicPublisher'));
  const cfnTable = new dynamodb.CfnTable(stack, 'Table', {
    keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
    attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
    billingMode: 'PAY_PER_REQUEST',
    sseSpecification: { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: key.keyArn },
  });
  dynamodb.TableGrants.fromTable(cfnTable).readData(role('TableReader'));
  // A conventional key behind an L1 keeps aws-cdk-lib's own trait.
  const conventional = new kms.Key(stack, 'Conventional', { enableKeyRotation: true });
  sqs.QueueGrants.fromQueue(new sqs.CfnQueue(stack, 'ConventionalQueue', { kmsMasterKeyId: conventional.keyArn })).sendMessages(role('ConventionalSender'));
  const template = Template.fromStack(stack);
  const kmsStatements = (id: string) => statementsOfRole(template, id).filter((s) => JSON.stringify(s.Action).includes('kms:'));
  const everyGeneration = { StringEquals: { 'aws:ResourceTag/rotation:group': 'l1' } };
  const keys = `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*`;

  test('a read of a CfnBucket decrypts with every generation', () => {
    expect(kmsStatements('BucketReader')).toEqual([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: keys, Condition: everyGeneration }]);
  });

  test('sending to a CfnQueue and publishing to a CfnTopic encrypt with the current generation, decrypt with every one', () => {
    for (const id of ['QueueSender', 'TopicPublisher']) {
      const statements = kmsStatements(id);
      expect(statements.map((s) => s.Condition)).toEqual(expect.arrayContaining([
        { StringEquals: { 'kms:RequestAlias': ['alias/l1', `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:alias/l1`], 'aws:ResourceTag/rotation:group': 'l1' } },
        { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/l1' } },
      ]));
      expect(statements.every((s) => s.Resource === keys)).toBe(true);
    }
  });

  test('reading a CfnTable decrypts with every generation', () => {
    expect(kmsStatements('TableReader')).toEqual([expect.objectContaining({ Resource: keys, Condition: everyGeneration })]);
  });

  test('a conventional key is granted as aws-cdk-lib grants it (on its key ARN)', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))
      .find((p) => JSON.stringify(p.Properties.Roles).includes('ConventionalSender'))!;
    const kmsResources = policy.Properties.PolicyDocument.Statement
      .filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('kms:')).map((s: { Resource: unknown }) => s.Resource);
    expect(kmsResources).toEqual([{ 'Fn::GetAtt': [stack.getLogicalId(conventional.node.defaultChild as kms.CfnKey), 'Arn'] }]);
  });
});

describe('one alias in two stacks of an app', () => {
  function twoStacks(envA?: { account: string; region: string }, envB?: { account: string; region: string }) {
    const app = new App();
    const a = new Stack(app, 'A', { env: envA });
    const b = new Stack(app, 'B', { env: envB });
    new RotatingImportedKey(a, 'Key', { aliasName: 'alias/shared', rotationInterval: RotationInterval.months(6) });
    const second = new RotatingImportedKey(b, 'Key', { aliasName: 'alias/shared', rotationInterval: RotationInterval.months(6) });
    return { a, b, second };
  }

  test('in one account and Region: an error naming both', () => {
    const { b } = twoStacks(ENV, ENV);
    const errors = findingsOf(b).filter((m) => m.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe('/B/Key');
    expect(errors[0].text).toMatch(/aliasName alias\/shared is also used by A\/Key \(stack A\) in the same account and Region \(111122223333\/us-east-1\)/);
  });

  test('in environment-agnostic stacks: an error (they deploy to the same default environment)', () => {
    expect(findingsOf(twoStacks().b).map((m) => m.level)).toEqual(['error']);
  });

  test('in different Regions: no finding; acknowledged: no finding', () => {
    expect(findingsOf(twoStacks(ENV, { ...ENV, region: 'eu-west-1' }).b)).toEqual([]);
    const { b, second } = twoStacks(ENV, ENV);
    Validations.of(second).acknowledge({ id: KeyUsageFinding.DUPLICATE_ALIAS, reason: 'Test: stack B is deployed with another account by its pipeline.' });
    expect(findingsOf(b)).toEqual([]);
  });
});

test('the README table lists every resource type the checks know', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Which AWS services follow the alias'), readme.indexOf('## Emergency rotation'));
  const missing = [...new Set(SERVICE_KEY_FIELDS.map((f) => f.type))].filter((type) => !section.includes(`\`${type}\``));
  expect(missing).toEqual([]);
});
