import { generateKeyPairSync } from 'node:crypto';
import { Acknowledgment, App, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { TEST_ACCOUNT, TEST_REGION } from './synthesized-policies';
import { EscrowWrapping, KeyMaterialSource, MaterialEscrow, MaterialExpiration, Retention, RotatingImportedKey, RotationInterval, WrappingAlgorithm, WrappingKeySpec } from '../../lib';

/** A fixed 2048-bit RSA escrow public key (its private key is not kept: templates only need the public one). */
export const ESCROW_PUBLIC_KEY_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();

/** The context of cdk.json, so tests render what `cdk synth` renders. */
export const CDK_JSON_CONTEXT = {
  '@aws-cdk/aws-kms:applyImportedAliasPermissionsToPrincipal': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:stackRelativeExports': true,
};

/** A stack whose key group sets every prop, with a conventional key for the logs and a pager topic. */
export interface EveryOptionSetup {
  readonly app: App;
  readonly stack: Stack;
  readonly key: RotatingImportedKey;
}

/** A second key group in the stack shares the services; it sets the shared options the same way. */
export function everyOptionStack(context: Record<string, unknown> = {}): EveryOptionSetup {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = new Stack(app, 'EveryOption', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
  // CloudWatch Logs needs a key ARN, so the log groups get a conventional key.
  const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true, description: 'Logs of the key rotation functions' });
  const pager = new sns.Topic(stack, 'Pager', { masterKey: logKey, enforceSSL: true });
  logKey.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
  const auditRole = new iam.Role(stack, 'AuditRole', { assumedBy: new iam.AccountRootPrincipal() });
  const alarmActions = [new cloudwatchActions.SnsAction(pager)];
  const key = new RotatingImportedKey(stack, 'Key', {
    aliasName: 'alias/every/option',
    rotationInterval: RotationInterval.years(1),
    description: 'Every option set',
    policyStatements: [new iam.PolicyStatement({ principals: [auditRole], actions: ['kms:DescribeKey'], resources: ['*'] })],
    tags: { 'data-classification': 'restricted' },
    scheduleHour: 2,
    scheduleMinute: 7,
    scheduleTimeZone: TimeZone.EUROPE_BERLIN,
    propagationWindow: Duration.minutes(10),
    wrappingAlgorithm: WrappingAlgorithm.RSAES_OAEP_SHA_1,
    wrappingKeySpec: WrappingKeySpec.RSA_3072,
    materialExpiration: MaterialExpiration.afterDays(365),
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
    groupId: 'every-option',
    logEncryptionKey: logKey,
    deadLetterAlarmActions: alarmActions,
    alarmActions,
    logRetention: logs.RetentionDays.TWO_YEARS,
    retention: Retention.deleteAfter(Duration.days(1095), { quietPeriod: Duration.days(60), pendingWindow: Duration.days(14) }),
    material: KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(stack, 'HsmProvider', `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:hsm-provider`)),
  });
  // Without alarmActions: its alarms carry the library's acknowledgement instead.
  new RotatingImportedKey(stack, 'SecondKey', {
    aliasName: 'alias/every/second',
    rotationInterval: RotationInterval.months(3),
    retention: Retention.keepLatest(4),
    logEncryptionKey: logKey,
    deadLetterAlarmActions: alarmActions,
    escrow: MaterialEscrow.toNewBucket({
      publicKeyPem: ESCROW_PUBLIC_KEY_PEM, lockRetention: Duration.days(3650), wrapping: EscrowWrapping.RSA_AES_KEY_WRAP_SHA_256,
    }),
  });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  key.grantRotateNow(operator);
  key.protectKey(logKey);
  const app1 = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  key.grantEncryptDecrypt(app1);
  acknowledgeConsumerFindings(stack, key, [operator, app1]);
  return { app, stack, key };
}

/** The findings of this test's own roles (not the library's): each is the CDK-managed policy of its grants. */
function acknowledgeConsumerFindings(stack: Stack, key: RotatingImportedKey, roles: iam.Role[]): void {
  const rotationFunctionId = stack.resolve(key.rotationFunction.functionArn)['Fn::GetAtt'][0];
  const acks = (rule: string, reason: string): Acknowledgment[] =>
    ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].map((pack) => ({ id: `${pack}-${rule}`, reason }));
  for (const role of roles) {
    Validations.of(role).acknowledge(...acks('IAMNoInlinePolicy', 'The CDK-managed policy of this one role, as any construct grant creates it.'));
  }
  Validations.of(roles[0]).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${rotationFunctionId}.Arn>:*]`,
    reason: 'grantRotateNow is Function.grantInvoke of the rotation function: the function and its versions and aliases, nothing else.',
  });
  for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    Validations.of(roles[1]).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: 'The standard KMS encrypt action set, limited to requests naming the alias on the group\'s keys or to the key behind the alias.',
    });
  }
  Validations.of(roles[1]).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*]`,
    reason: 'Generations are created at run time; grants are limited by kms:RequestAlias, kms:ResourceAliases and the group tag.',
  });
}
