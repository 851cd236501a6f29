// The key group in one stack, its consumers in another stack of the same
// account and Region: they import the alias ARN (a cross-stack reference), so
// they follow rotation like consumers in the key's own stack.
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export class KeyStack extends Stack {
  public readonly key: RotatingImportedKey;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.key = new RotatingImportedKey(this, 'EventsKey', {
      aliasName: 'alias/example/events',
      rotationInterval: RotationInterval.months(6),
      groupId: 'events',
    });
  }
}

export interface ConsumerStackProps extends StackProps {
  readonly key: RotatingImportedKey;
}

export class ConsumerStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsumerStackProps) {
    super(scope, id, props);
    // A strong reference: the key stack cannot drop the export while this stack imports it.
    this.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
    const topic = new sns.Topic(this, 'Events', { masterKey: props.key, enforceSSL: true });
    const queue = new sqs.Queue(this, 'Inbox', { encryptionMasterKey: props.key, enforceSSL: true });
    const worker = new iam.Role(this, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // The grants follow rotation: encryption with the current generation, decryption with every one.
    topic.grantPublish(worker);
    queue.grantConsumeMessages(worker);
  }
}

export function build(app: App): Stack[] {
  const env = { account: '111122223333', region: 'eu-west-1' };
  const keys = new KeyStack(app, 'KeyStack', { env });
  const consumers = new ConsumerStack(app, 'ConsumerStack', { env, key: keys.key });
  return [keys, consumers];
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
