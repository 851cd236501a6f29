// Two key groups in one stack: they share the stack's functions, ledger,
// dead-letter queue and alarm, so they share the options of those too (here a
// conventional key for the functions' logs), and each has its own alias,
// interval, schedule and settings.
import { App, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export function build(app: App): Stack {
  const stack = new Stack(app, 'TwoGroupsExample');
  // CloudWatch Logs needs a key ARN: a conventional key, rotated by KMS.
  const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true, description: 'Logs of the key rotation functions' });
  const telemetry = new RotatingImportedKey(stack, 'TelemetryKey', {
    aliasName: 'alias/example/telemetry',
    rotationInterval: RotationInterval.months(3),
    groupId: 'telemetry',
    logEncryptionKey: logKey,
  });
  const secrets = new RotatingImportedKey(stack, 'SecretsKey', {
    aliasName: 'alias/example/secrets',
    rotationInterval: RotationInterval.years(1),
    groupId: 'secrets',
    scheduleHour: 4,
    scheduleTimeZone: TimeZone.EUROPE_BERLIN,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(30),
  });
  new s3.Bucket(stack, 'Telemetry', { encryptionKey: telemetry, enforceSSL: true });
  new secretsmanager.Secret(stack, 'ApiToken', { encryptionKey: secrets });
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
