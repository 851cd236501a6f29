// A consumer app that the synth-time checks must speak up about: the examples/
// apps report nothing, so this one shows that the packaged checks run at all
// (the aspect, the construct's own warnings, and an acknowledgement through the
// exported KeyUsageFinding). Synthesized from the packed tarball by packaged.test.ts.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { KeyUsageFinding, RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export function build(app: App): Stack {
  const stack = new Stack(app, 'GuardRails', { env: { account: '111122223333', region: 'eu-west-1' } });
  const key = new RotatingImportedKey(stack, 'DataKey', {
    aliasName: 'alias/consumer/data',
    rotationInterval: RotationInterval.months(6),
    groupId: 'data',
  });
  // Longer than NIST's 24-month originator-usage period: the construct's own warning.
  new RotatingImportedKey(stack, 'ArchiveKey', {
    aliasName: 'alias/consumer/archive',
    rotationInterval: RotationInterval.years(3),
    groupId: 'archive',
  });

  // Resolves the alias once: a warning.
  new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
  });
  // Needs a key ARN: an error.
  new logs.LogGroup(stack, 'LogGroup', { encryptionKey: key });
  // The same error, acknowledged: nothing.
  const acknowledged = new logs.LogGroup(stack, 'AcknowledgedLogGroup', { encryptionKey: key });
  Validations.of(acknowledged).acknowledge({ id: KeyUsageFinding.KEY_ARN_REQUIRED, reason: 'Consumer test: shows the acknowledgement.' });
  // One generation pinned in a key setting: an error; in an environment variable: a warning.
  new sqs.CfnQueue(stack, 'PinnedQueue', { kmsMasterKeyId: key.currentKeyId });
  new lambda.Function(stack, 'Worker', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    environment: { KEY_ARN: key.currentKeyArn },
  });
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
