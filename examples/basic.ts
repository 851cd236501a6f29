// One key group rotated every 6 months, used by a bucket and a queue, with an
// application role that encrypts with the current generation and decrypts with
// every generation.
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export function build(app: App): Stack {
  const stack = new Stack(app, 'BasicExample');
  const key = new RotatingImportedKey(stack, 'DataKey', {
    aliasName: 'alias/example/data',
    rotationInterval: RotationInterval.months(6),
  });
  new s3.Bucket(stack, 'Data', { encryptionKey: key, enforceSSL: true });
  new sqs.Queue(stack, 'Jobs', { encryptionMasterKey: key, enforceSSL: true });
  const appRole = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  key.grantEncryptDecrypt(appRole);
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
