import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { GroupPermissions, GroupPermissionsInput } from './private/group-permissions';

/** The bundled handler, built when this library is built (`projen bundle`). */
const ASSET_DIR = path.join(__dirname, '..', 'assets', 'lambda', 'rotation-function');

/** The fixed id of the singleton, a direct child of the stack. */
const SINGLETON_ID = 'RotatingImportedKeyRotation';

/** What a key group registers with the stack's rotation function. */
export interface KeyGroupRegistration extends GroupPermissionsInput {
  readonly aliasName: string;
  readonly constructPath: string;
}

/**
 * The rotation function of a stack and what it shares between key groups:
 * its role and log group, the custom resource provider, the schedules' role,
 * dead-letter queue and alarm. One per stack, found through the construct tree.
 */
export class RotationFunction extends Construct {
  /** Returns the stack's rotation function, creating it on first use. */
  public static of(scope: Construct): RotationFunction {
    return RotationFunction.find(scope) ?? new RotationFunction(Stack.of(scope), SINGLETON_ID);
  }

  /** Returns the stack's rotation function if a key group already created it. */
  public static find(scope: Construct): RotationFunction | undefined {
    return Stack.of(scope).node.tryFindChild(SINGLETON_ID) as RotationFunction | undefined;
  }

  /** The function: custom resource handler and scheduled rotation. */
  public readonly function: lambda.Function;
  /** The function's role, extended with the permissions of each key group. */
  public readonly role: iam.Role;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The custom resource provider. */
  public readonly provider: cr.Provider;
  /** Receives scheduled invocations that could not be delivered and failed asynchronous runs. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Fires when the dead-letter queue holds a message. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  public readonly schedulerRole: iam.Role;

  private readonly permissions: GroupPermissions;
  private readonly aliases = new Map<string, string>();
  private readonly groups = new Map<string, string>();

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    if (!fs.existsSync(path.join(ASSET_DIR, 'index.js'))) {
      throw new Error(`RotatingImportedKey: the rotation function bundle is missing at ${ASSET_DIR}; build the library first (npx projen bundle)`);
    }
    const stack = Stack.of(this);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'A scheduled key rotation could not be delivered or failed: see the dead-letter queue and the rotation function logs.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.ONE_YEAR });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Rotates KMS keys with imported key material (cdk-rotating-imported-key)',
    });
    // Log writing to its own log group only, instead of the AWSLambdaBasicExecutionRole managed policy.
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: 'Rotates KMS keys with imported key material (cdk-rotating-imported-key)',
      code: lambda.Code.fromAsset(ASSET_DIR),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // One rotation is a handful of KMS calls, but GetParametersForImport is
      // limited to 1 request/s per account: throttling retries must fit.
      timeout: Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      environment: { POWERTOOLS_SERVICE_NAME: 'rotating-imported-key' },
      // Scheduled runs are asynchronous: a run that still fails after Lambda's
      // retries lands in the dead-letter queue and raises the alarm.
      deadLetterQueue: this.deadLetterQueue,
      // No reserved concurrency: the function serialises the runs of one key
      // group itself (CreateAlias of `alias/rotation/<group>/generation-<n>`
      // fails for every run but the first), so the groups of a stack can all
      // be created and rotated at the same time.
    });

    const frameworkLogGroup = new logs.LogGroup(this, 'ProviderLogGroup', { retention: logs.RetentionDays.ONE_YEAR });
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider framework of cdk-rotating-imported-key',
    });
    frameworkLogGroup.grantWrite(frameworkRole);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: frameworkLogGroup,
      frameworkOnEventRole: frameworkRole,
    });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler invoking the key rotation function (cdk-rotating-imported-key)',
    });

    this.permissions = new GroupPermissions(this.role);
    this.acknowledgeFindings(frameworkRole);
  }

  /**
   * The construct path of the key group that already uses this alias or group
   * id in this stack, if any.
   */
  public findConflict(aliasName: string, groupId: string): { aliasOwner?: string; groupOwner?: string } {
    return { aliasOwner: this.aliases.get(aliasName), groupOwner: this.groups.get(groupId) };
  }

  /** Registers a key group: claims its alias and group id and extends the role. */
  public register(group: KeyGroupRegistration): void {
    this.aliases.set(group.aliasName, group.constructPath);
    this.groups.set(group.groupId, group.constructPath);
    this.permissions.add(group);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:alias/rotation/${group.groupId}/*]`,
      reason: `Generation aliases of key group ${group.groupId} are created as the group rotates (generation-1, generation-2, ...); the wildcard covers exactly that group's prefix.`,
    });
  }

  private acknowledgeFindings(frameworkRole: iam.Role): void {
    const stack = Stack.of(this);
    const functionArn = stack.resolve(this.function.functionArn)['Fn::GetAtt'][0];
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
        reason: 'Key ids of future generations are unknown at deploy time; every statement on key/* requires the aws:ResourceTag/rotation:group tag of this stack\'s key groups, so only their keys are reachable.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:alias/*]',
        reason: 'Only kms:DeleteAlias, to remove a renamed user alias that the updated policy no longer names; KMS also requires DeleteAlias on the target key, which is allowed only for this stack\'s group-tagged keys.',
      }, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'kms:CreateKey has no resource (conditioned on the group tag, EXTERNAL origin and symmetric key spec); kms:ListAliases and tag:GetResources support no resource-level permissions.',
      },
    );
    const invokeVersions = {
      id: `AwsSolutions-IAM5[Resource::<${functionArn}.Arn>:*]`,
      reason: 'Function.grantInvoke allows the function and its versions and aliases; nothing else is invokable.',
    };
    Validations.of(frameworkRole).acknowledge(invokeVersions);
    Validations.of(this.schedulerRole).acknowledge(invokeVersions);
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The runtime is pinned to the Node.js version the bundled handler is built and tested for (node22), so templates stay deterministic.',
    });
    this.acknowledgeNistFindings(frameworkRole);
  }

  /** NIST 800-53 rev 5 findings that are inherent to the design; each is narrowed to its construct. */
  private acknowledgeNistFindings(frameworkRole: iam.Role): void {
    const frameworkFunction = this.provider.node.findChild('framework-onEvent');
    for (const fn of [this.function, frameworkFunction]) {
      Validations.of(fn).acknowledge(
        {
          id: 'NIST.800.53.R5-LambdaConcurrency',
          reason: 'No reserved concurrency on purpose: rotations of one key group are serialised by the generation-alias claim, and reserved concurrency would throttle the parallel creation of many key groups in one deployment.',
        },
        {
          id: 'NIST.800.53.R5-LambdaInsideVPC',
          reason: 'The functions call only the public KMS (and tagging) endpoints and CloudFormation; running them in a VPC with an interface endpoint is a planned option, not a requirement of the design.',
        },
      );
    }
    Validations.of(frameworkFunction).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'The provider framework handler is invoked synchronously by CloudFormation and reports every failure to it; an asynchronous dead-letter queue would never receive anything.',
    });
    for (const role of [this.role, frameworkRole, this.schedulerRole]) {
      Validations.of(role).acknowledge({
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason: 'The role\'s permissions are the CDK-managed policy of this role alone (scoped per key group by tags and alias ARNs); a separate managed policy would add nothing but a resource.',
      });
    }
    for (const group of [this.logGroup, this.node.findChild('ProviderLogGroup')]) {
      Validations.of(group).acknowledge({
        id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
        reason: 'The logs carry no key material and no import token (a test searches every line of a two-year run for them); CloudWatch Logs encryption needs a key ARN, so it cannot use a rotating key.',
      });
    }
    Validations.of(this.deadLetterAlarm).acknowledge({
      id: 'NIST.800.53.R5-CloudWatchAlarmAction',
      reason: 'Who is notified is the user\'s choice: add an action with `key.deadLetterAlarm.addAlarmAction(...)` (the example app does).',
    });
  }
}
