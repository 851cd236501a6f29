import * as fs from 'node:fs';
import * as path from 'node:path';
import { Acknowledgment, CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MaterialEscrow, RotatingImportedKey, RotationInterval } from '../lib';

/**
 * A key with imported material rotated every 6 months, used by a bucket, a
 * queue and an application role; an operator role may start an emergency
 * rotation.
 */
export class ExampleStack extends Stack {
  /** The rotating key. */
  public readonly key: RotatingImportedKey;
  /** Bucket encrypted with the key (SSE-KMS through the alias). */
  public readonly bucket: s3.Bucket;
  /** Queue encrypted with the key. */
  public readonly queue: sqs.Queue;
  /** Application role that encrypts with the current generation and decrypts with all. */
  public readonly appRole: iam.Role;
  /** Operators who may start an emergency rotation (and nothing else). */
  public readonly operatorRole: iam.Role;
  /** Receives one message per completed rotation: the re-encryption job's work queue. */
  public readonly reEncryptionQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Grant log delivery with a bucket policy instead of the legacy ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    // The platform team's existing pager topic: every alarm of the key group and the stack's dead-letter alarm page it.
    const pager = sns.Topic.fromTopicArn(this, 'Pager', this.formatArn({ service: 'sns', resource: 'platform-pager' }));
    this.key = new RotatingImportedKey(this, 'TelemetryKey', {
      aliasName: 'alias/example/telemetry',
      rotationInterval: RotationInterval.months(6),
      description: 'Telemetry data key (imported material, rotated every 6 months)',
      tags: { 'data-classification': 'confidential' },
      alarmActions: [new cloudwatchActions.SnsAction(pager)],
      deadLetterAlarmActions: [new cloudwatchActions.SnsAction(pager)],
      // A copy of each generation's material, wrapped to the security team's offline RSA key (only its public half is here),
      // in a bucket nobody can delete from for 7 years: docs/escrow-recovery.md brings a generation back from it.
      escrow: MaterialEscrow.toNewBucket({
        publicKeyPem: fs.readFileSync(path.join(__dirname, 'escrow-public-key.pem'), 'utf8'),
        lockRetention: Duration.days(7 * 365),
      }),
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(accessLogs).acknowledge(
      ...inPacks(['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'], 'S3DefaultEncryptionKMS',
        'S3 server access logs can only be delivered to a bucket encrypted with S3-managed keys (SSE-S3), not SSE-KMS.'),
      ...inPacks(['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'], 'S3BucketReplicationEnabled',
        'A single-Region example; cross-Region replication of the access logs is a deployment decision outside this library.'),
    );

    this.bucket = new s3.Bucket(this, 'Telemetry', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'telemetry/',
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge(...inPacks(['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'], 'S3BucketReplicationEnabled',
      'A single-Region example; replicating to another Region would need a key there too (imported material in every Region is a planned option).'));

    const deadLetters = new sqs.Queue(this, 'TelemetryDeadLetters', {
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is the dead-letter queue of the telemetry queue; a dead-letter queue of its own would only move the same messages again.',
    });
    this.queue = new sqs.Queue(this, 'TelemetryQueue', {
      encryptionMasterKey: this.key,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });

    this.appRole = new iam.Role(this, 'AppRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Application that writes and reads telemetry',
    });
    this.key.grantEncryptDecrypt(this.appRole);

    this.operatorRole = new iam.Role(this, 'OperatorRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'On-call operators who may start an emergency key rotation',
    });
    this.key.grantRotateNow(this.operatorRole);
    Validations.of(this.operatorRole).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve(this.key.rotationFunction.functionArn)['Fn::GetAtt'][0]}.Arn>:*]`,
        reason: 'grantRotateNow is Function.grantInvoke of the rotation function: the function and its versions and aliases, nothing else.',
      },
      ...inPacks(['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'], 'IAMNoInlinePolicy',
        'The grant is the CDK-managed policy of this one role, as any construct grant creates it.'),
    );

    // After each completed rotation, a message for the re-encryption job (which re-encrypts the bucket's
    // objects under the new generation); deliveries the rule cannot make go to a dead-letter queue.
    const reEncryptionDeadLetters = new sqs.Queue(this, 'ReEncryptionDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(reEncryptionDeadLetters).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is the dead-letter queue of the re-encryption queue and of the rotation rule\'s target; a dead-letter queue of its own would only move the same messages again.',
    });
    // SQS-managed encryption: EventBridge may send to it without a key policy (the rotating key grants through IAM only).
    this.reEncryptionQueue = new sqs.Queue(this, 'ReEncryptionJobs', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: reEncryptionDeadLetters, maxReceiveCount: 5 },
    });
    // On the stack's rotation event bus, where only the rotation function may put events: the job can trust the key the event names.
    this.key.onRotated('StartReEncryption', {
      description: 'Starts re-encrypting telemetry under the new generation after each rotation',
      target: new targets.SqsQueue(this.reEncryptionQueue, { deadLetterQueue: reEncryptionDeadLetters }),
    });

    // For the emergency rotation command in the README.
    new CfnOutput(this, 'RotationFunctionName', { value: this.key.rotationFunction.functionName });
    new CfnOutput(this, 'TelemetryAliasName', { value: this.key.aliasName });
    for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
      Validations.of(this.appRole).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'The standard KMS encrypt action set (as kms.Key grants it), limited to requests naming the alias on the group\'s keys (kms:RequestAlias) or to the key behind the alias (kms:ResourceAliases).',
      });
    }
    Validations.of(this.appRole).acknowledge(...inPacks(['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'], 'IAMNoInlinePolicy',
      'The grants are the CDK-managed policy of this one role, as any construct grant creates it.'));
    Validations.of(this.appRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
      reason: 'Generations are created at run time; encryption is limited to requests naming the alias on the group\'s keys (kms:RequestAlias) or to the key behind the alias (kms:ResourceAliases), decryption to keys tagged with the key group.',
    });
  }
}

/** One acknowledgement per compliance pack that reports the rule under its own prefix. */
function inPacks(packs: string[], rule: string, reason: string): Acknowledgment[] {
  return packs.map((pack) => ({ id: `${pack}-${rule}`, reason }));
}
