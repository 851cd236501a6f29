import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { guardInvocation } from './private/invoke-guard';
import { denyLedgerWritesStatement } from './private/ledger-table-policy';
import { acknowledgeAdoptionFindings, acknowledgeGroupFindings, acknowledgeStackFindings } from './private/nag-acknowledgements';
import * as perms from './private/perms';
import * as policies from './private/policies';
import {
  AccountArns, KeyGroupPermissions, lifecycleReplacedGroupStatements, lifecycleStatements, rotationReplacedGroupStatements, rotationStatements,
} from './private/role-statements';
import { rotationEventBus } from './private/rotation-event-bus';
import { createSealKeys } from './private/seal-keys';
import { SharedPolicy } from './private/shared-policy';
import { SharedOptions } from './validation';

/** The bundled handlers, built when this library is built (`projen bundle`). */
const ASSET_DIR = path.join(__dirname, '..', 'assets', 'lambda', 'rotation-function');

/**
 * The fixed id of the singleton, a direct child of the stack. It and the ids
 * of the rotation function, its role and log group are those of the earlier
 * single-function design, so an upgrade updates them in place (same function
 * name, same log history).
 */
const SINGLETON_ID = 'RotatingImportedKeyRotation';

const SERVICE_NAME = 'rotating-imported-key';

/** What the first key group of a stack decides for the services of every group. */
export interface RotationServicesOptions {
  /** Encrypts the functions' log groups. */
  readonly logEncryptionKey?: kms.IKey;
  /** Actions of the dead-letter alarm. */
  readonly deadLetterAlarmActions?: cloudwatch.IAlarmAction[];
  /** How long the functions' log groups keep their events. */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * How often the stack's rotation function sweeps Creates that died (see
 * docs/consistency.md): a dead Create is undone at most this long after its
 * lock's lease (11 minutes) has passed.
 */
export const SWEEP_PERIOD = Duration.hours(1);

/** Kept for a year unless the first key group says otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** What a key group registers with the stack's rotation services. */
export interface KeyGroupRegistration extends KeyGroupPermissions {
  readonly aliasName: string;
  readonly constructPath: string;
}

/**
 * What the key groups of a stack share: the lifecycle function (custom
 * resource handler) and the rotation function (schedules, `rotate-now`), each
 * with its own role and log group, the ledger table, the custom resource
 * provider, the schedules' role, the dead-letter queue and its alarm. One per
 * stack, found through the construct tree.
 */
export class RotationServices extends Construct implements SharedOptions {
  /** Returns the stack's rotation services, creating them on first use (with the options of that first key group). */
  public static of(scope: Construct, options: RotationServicesOptions = {}): RotationServices {
    return RotationServices.find(scope) ?? new RotationServices(Stack.of(scope), SINGLETON_ID, scope.node.path, options);
  }

  /** Returns the stack's rotation services if a key group already created them. */
  public static find(scope: Construct): RotationServices | undefined {
    return Stack.of(scope).node.tryFindChild(SINGLETON_ID) as RotationServices | undefined;
  }

  /** One item per key group: the truth about its generations, rotation and lock. */
  public readonly ledgerTable: dynamodb.TableV2;
  /** Handles CloudFormation events of the key groups; only the provider framework invokes it. */
  public readonly lifecycleFunction: lambda.Function;
  /** The lifecycle function's role, extended with the permissions of each key group. */
  public readonly lifecycleRole: iam.Role;
  /** The lifecycle function's log group. */
  public readonly lifecycleLogGroup: logs.LogGroup;
  /** Runs rotations: target of the schedules and of `grantRotateNow`. */
  public readonly rotationFunction: lambda.Function;
  /** The rotation function's role, extended with the permissions of each key group. */
  public readonly rotationRole: iam.Role;
  /** The rotation function's log group. */
  public readonly rotationLogGroup: logs.LogGroup;
  /** The custom resource provider (its framework function invokes the lifecycle function). */
  public readonly provider: cr.Provider;
  /** The role of the provider framework's function. */
  public readonly providerRole: iam.Role;
  /** Receives scheduled invocations that could not be delivered and failed asynchronous runs. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Fires when messages are sent to the dead-letter queue (in any 5 minutes). */
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The bus of the rotation events; only the rotation role may put events on it. */
  public readonly eventBus: events.EventBus;
  /** The role EventBridge Scheduler assumes to invoke the rotation function. */
  public readonly schedulerRole: iam.Role;
  /** The stack's one sweep of Creates that died (`{"action":"sweep"}` to the rotation function, every SWEEP_PERIOD). */
  public readonly sweepSchedule: scheduler.Schedule;
  /** HMAC key that seals the deployed settings in the ledger: only the lifecycle role makes its MACs. */
  public readonly settingsSealKey: kms.Key;
  /** HMAC key that seals every ledger entry: only the two function roles make its MACs. */
  public readonly ledgerSealKey: kms.Key;
  /** Construct path of the key group that created these services (and decided the shared options). */
  public readonly decidedBy: string;
  /** The key that encrypts the log groups, if any. */
  public readonly logEncryptionKey?: kms.IKey;
  /** The actions the dead-letter alarm got from the props of the first key group. */
  public readonly deadLetterAlarmActions: cloudwatch.IAlarmAction[];
  /** The retention of the log groups, from the props of the first key group. */
  public readonly logRetention: logs.RetentionDays;
  /** Whether the first key group passed `logRetention` (else the default decided). */
  public readonly logRetentionGiven: boolean;

  private readonly arns: AccountArns;
  private readonly lifecyclePolicy: SharedPolicy;
  private readonly rotationPolicy: SharedPolicy;
  private readonly lifecycleReplacedPolicy: SharedPolicy;
  private readonly rotationReplacedPolicy: SharedPolicy;
  private readonly aliases = new Map<string, string>();
  private readonly groups = new Map<string, string>();
  private readonly keysTheFunctionsUse = new Set<string>();
  private readonly protectedKeys = new Set<string>();

  private constructor(scope: Stack, id: string, decidedBy: string, options: RotationServicesOptions) {
    super(scope, id);
    this.decidedBy = decidedBy;
    this.logEncryptionKey = options.logEncryptionKey;
    this.deadLetterAlarmActions = options.deadLetterAlarmActions ?? [];
    this.logRetention = options.logRetention ?? DEFAULT_LOG_RETENTION;
    this.logRetentionGiven = options.logRetention !== undefined;
    if (!fs.existsSync(path.join(ASSET_DIR, 'index.js'))) {
      throw new Error(`RotatingImportedKey: the rotation function bundle is missing at ${ASSET_DIR}; build the library first (npx projen bundle)`);
    }
    const stack = Stack.of(this);
    this.arns = {
      keys: stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' }),
      aliases: stack.formatArn({ service: 'kms', resource: 'alias', resourceName: '*' }),
      stackId: stack.stackId,
    };

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'A scheduled key rotation could not be delivered or failed: see the dead-letter queue and the rotation function logs.',
      // Messages sent in the period, not messages waiting: the queue keeps its messages 14 days, so an alarm on
      // its depth would stay in ALARM after the first failure and never notify of the next one. Lambda and
      // EventBridge Scheduler both deliver dead letters with SendMessage, which this metric counts.
      metric: this.deadLetterQueue.metricNumberOfMessagesSent({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.deadLetterAlarm.addAlarmAction(...this.deadLetterAlarmActions);

    this.ledgerTable = new dynamodb.TableV2(this, 'Ledger', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // Retained with the stack, like the keys it describes (RETAIN keeps them).
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
    });

    this.lifecycleLogGroup = this.newLogGroup('LifecycleLogGroup');
    this.lifecycleRole = this.functionRole('LifecycleRole', this.lifecycleLogGroup,
      'Creates, updates and deletes key groups with imported key material (cdk-rotating-imported-key)', perms.LIFECYCLE_LEDGER_ACTIONS);
    this.lifecycleFunction = this.newFunction('LifecycleFunction', {
      description: 'Applies CloudFormation events to key groups with imported key material (cdk-rotating-imported-key)',
      handler: 'index.lifecycleHandler',
      // A Create makes generation 1 and an Update applies settings to every
      // generation; throttling of GetParametersForImport (1 request/s per
      // account) when many groups deploy at once must fit. The provider
      // framework waits up to 15 minutes for the answer.
      timeout: Duration.minutes(10),
      role: this.lifecycleRole,
      logGroup: this.lifecycleLogGroup,
    });

    this.rotationLogGroup = this.newLogGroup('LogGroup');
    this.rotationRole = this.functionRole('Role', this.rotationLogGroup,
      'Rotates KMS keys with imported key material (cdk-rotating-imported-key)', perms.ROTATION_LEDGER_ACTIONS);
    this.rotationFunction = this.newFunction('Function', {
      description: 'Rotates KMS keys with imported key material (cdk-rotating-imported-key)',
      handler: 'index.rotationHandler',
      // A run does the phases that are due (a handful of KMS calls) and never
      // waits through a propagation window. It may wait for the account's
      // GetParametersForImport quota (1/s) when a fleet is due together:
      // 15 minutes (Lambda's maximum) lets 300 groups queue within one run;
      // a run takes seconds otherwise, and only what is used is billed.
      timeout: Duration.minutes(15),
      role: this.rotationRole,
      logGroup: this.rotationLogGroup,
      // Scheduled runs are asynchronous: a run that still fails after Lambda's
      // retries lands in the dead-letter queue and raises the alarm.
      deadLetterQueue: this.deadLetterQueue,
    });

    const providerLogGroup = this.newLogGroup('ProviderLogGroup');
    this.providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider framework of cdk-rotating-imported-key',
    });
    providerLogGroup.grantWrite(this.providerRole);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.lifecycleFunction,
      logGroup: providerLogGroup,
      frameworkOnEventRole: this.providerRole,
    });
    // Only the provider framework may send the lifecycle function CloudFormation events.
    guardInvocation(this, 'LifecycleInvokeGuard', this.lifecycleFunction, [this.providerRole.roleArn]);

    const seals = createSealKeys(this, this.lifecycleRole, this.rotationRole);
    this.settingsSealKey = seals.settingsKey;
    this.ledgerSealKey = seals.stateKey;
    for (const fn of [this.lifecycleFunction, this.rotationFunction]) {
      fn.addEnvironment('SETTINGS_SEAL_KEY_ARN', this.settingsSealKey.keyArn);
      fn.addEnvironment('STATE_SEAL_KEY_ARN', this.ledgerSealKey.keyArn);
    }
    this.lifecycleFunction.addEnvironment('STACK_ID', Aws.STACK_ID);

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler invoking the key rotation function (cdk-rotating-imported-key)',
    });

    // One per stack, not per group: a group whose Create died may have no schedule of its own (rolled back with it).
    this.sweepSchedule = new scheduler.Schedule(this, 'SweepSchedule', {
      description: 'Sweep of key groups whose Create died (cdk-rotating-imported-key): schedules deletion of what it made',
      schedule: scheduler.ScheduleExpression.rate(SWEEP_PERIOD),
      target: new targets.LambdaInvoke(this.rotationFunction, {
        input: scheduler.ScheduleTargetInput.fromObject({ action: 'sweep' }),
        role: this.schedulerRole,
        deadLetterQueue: this.deadLetterQueue,
        // A missed sweep is made up by the next one.
        retryAttempts: 2,
        maxEventAge: SWEEP_PERIOD,
      }),
    });

    // The rotation event after each completed rotation, on a bus only the rotation role may put events on.
    this.eventBus = rotationEventBus(this, this.rotationRole, this.rotationFunction);

    // Only the two function roles write the ledger, whatever other principals' identity policies allow.
    this.ledgerTable.addToResourcePolicy(denyLedgerWritesStatement([this.lifecycleRole.roleArn, this.rotationRole.roleArn]));
    this.allowLogEncryption();
    this.lifecyclePolicy = new SharedPolicy(this.lifecycleRole);
    this.rotationPolicy = new SharedPolicy(this.rotationRole);
    this.lifecycleReplacedPolicy = new SharedPolicy(replacedGroupsPolicy(this.lifecycleRole));
    this.rotationReplacedPolicy = new SharedPolicy(replacedGroupsPolicy(this.rotationRole));
    acknowledgeStackFindings({
      lifecycleRole: this.lifecycleRole,
      rotationRole: this.rotationRole,
      providerRole: this.providerRole,
      schedulerRole: this.schedulerRole,
      lifecycleFunction: this.lifecycleFunction,
      rotationFunction: this.rotationFunction,
      providerFunction: this.provider.node.findChild('framework-onEvent'),
      logGroups: [this.lifecycleLogGroup, this.rotationLogGroup, providerLogGroup],
      logsEncrypted: this.logEncryptionKey !== undefined,
      deadLetterAlarm: this.deadLetterAlarm,
      alarmHasActions: this.deadLetterAlarmActions.length > 0,
      deadLetterQueue: this.deadLetterQueue,
    });
  }

  /**
   * The construct path of the key group that already uses this alias or group
   * id in this stack, if any.
   */
  public findConflict(aliasName: string, groupId: string): { aliasOwner?: string; groupOwner?: string } {
    return { aliasOwner: this.aliases.get(aliasName), groupOwner: this.groups.get(groupId) };
  }

  /** Registers a key group: claims its alias and group id and extends both function roles. */
  public register(group: KeyGroupRegistration): void {
    this.aliases.set(group.aliasName, group.constructPath);
    this.groups.set(group.groupId, group.constructPath);
    if (group.escrowBucketKeyArn !== undefined) {
      if (this.protectedKeys.has(group.escrowBucketKeyArn)) {
        throw new Error(`escrow: the key of the escrow bucket of ${group.constructPath} was given to protectKey, which denies the functions the key they need to write escrow objects`);
      }
      this.keysTheFunctionsUse.add(group.escrowBucketKeyArn);
    }
    this.lifecyclePolicy.add(group.groupId, lifecycleStatements(group, this.arns));
    this.rotationPolicy.add(group.groupId, rotationStatements(group, this.arns));
    this.lifecycleReplacedPolicy.add(group.groupId, lifecycleReplacedGroupStatements(group, this.arns));
    this.rotationReplacedPolicy.add(group.groupId, rotationReplacedGroupStatements(group, this.arns));
    acknowledgeGroupFindings([this.lifecycleRole, this.rotationRole], group.groupId);
    if (group.adopt) acknowledgeAdoptionFindings([this.lifecycleRole, this.rotationRole], group.groupId, group.adopt.aliasName);
  }

  /**
   * Denies both function roles every KMS action on `key`, another key of the
   * account, in its key policy. The roles' tag-conditioned permissions cannot
   * tell a key this library made from one whose group tag was set by somebody
   * holding a role's credentials (CreateKey with tags needs `kms:TagResource`
   * on every key); an explicit Deny in the key's own policy can (see
   * docs/security-model.md). The functions never need another key, except an
   * escrow bucket's key, which is refused here.
   *
   * @param key a key defined in this app (`new kms.Key`); an imported key has
   * no policy here to add to, and is refused with the statement to add by hand
   */
  public protectKey(key: kms.IKey): void {
    if (this.keysTheFunctionsUse.has(key.keyArn)) {
      throw new Error(`protectKey: ${key.node.path} encrypts an escrow bucket of this stack, whose objects the functions write and read; it cannot be protected from them`);
    }
    const statement = policies.denyFunctionRolesStatement([this.lifecycleRole.roleArn, this.rotationRole.roleArn]);
    const added = key.addToResourcePolicy(statement, true);
    if (!added.statementAdded) {
      throw new Error(`protectKey: ${key.node.path} is not defined in this app, so its key policy cannot be changed here; add to it a statement with Sid "${policies.DENY_FUNCTIONS_SID}" that denies "kms:*" on "*" to the roles of lifecycleFunction and rotationFunction (docs/security-model.md)`);
    }
    this.protectedKeys.add(key.keyArn);
  }

  private newLogGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this, id, { retention: this.logRetention, encryptionKey: this.logEncryptionKey });
  }

  /**
   * The key-policy statement CloudWatch Logs documents for encrypting log
   * groups, limited to this account's log groups in this Region. A key
   * imported by ARN has no policy to add to (a no-op): it must allow this
   * already.
   */
  private allowLogEncryption(): void {
    if (!this.logEncryptionKey) return;
    const stack = Stack.of(this);
    this.logEncryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: perms.LOG_ENCRYPTION_ACTIONS,
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }), true);
  }

  /** A function role: assumed by Lambda, writing to its own log group, with item access to the ledger. */
  private functionRole(id: string, logGroup: logs.LogGroup, description: string, ledgerActions: string[]): iam.Role {
    const role = new iam.Role(this, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    // Log writing to its own log group only, instead of the AWSLambdaBasicExecutionRole managed policy.
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(policies.ledgerStatement(this.ledgerTable.tableArn, ledgerActions));
    return role;
  }

  private newFunction(id: string, props: FunctionSettings): lambda.Function {
    return new lambda.Function(this, id, {
      ...props,
      code: lambda.Code.fromAsset(ASSET_DIR),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      environment: { LEDGER_TABLE_NAME: this.ledgerTable.tableName, POWERTOOLS_SERVICE_NAME: SERVICE_NAME },
      // No reserved concurrency: the ledger's lock serialises the runs of one
      // key group, so the groups of a stack can all be created and rotated at
      // the same time.
    });
  }
}

/** What differs between the two functions. */
interface FunctionSettings {
  readonly description: string;
  readonly handler: string;
  readonly timeout: Duration;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * A role's statements for keys of groups the template no longer names
 * (role-statements.ts, replaced groups), in a managed policy of its own: a
 * child of the role, so that whatever depends on the role (the key groups'
 * custom resources) waits for it too.
 */
function replacedGroupsPolicy(role: iam.Role): iam.ManagedPolicy {
  return new iam.ManagedPolicy(role, 'ReplacedGroupsPolicy', {
    description: 'Keys of key groups this stack replaced (cdk-rotating-imported-key): the takeover of the alias and the removal policy of the replaced group',
    roles: [role],
  });
}
