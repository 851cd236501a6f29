import {
  Annotations, CustomResource, Duration, Lazy, Names, RemovalPolicy, Resource, Stack,
  TagManager, TagType, TimeZone, Token, Tokenization, type ITaggableV2,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { aws_kms as kmsRefs } from 'aws-cdk-lib/interfaces';
import { Construct } from 'constructs';
import { KeyMaterialSource } from './key-material-source';
import { MaterialEscrow } from './material-escrow';
import { MaterialExpiration } from './material-expiration';
import * as contract from './private/event-contract';
import { createGroupAlarms } from './private/group-alarms';
import { KeyGroupRegistry } from './private/key-usage-checks';
import { materialExpiryWarningDays, validateMaterialExpiration } from './private/material-expiry';
import { acknowledgeAlarmActions, acknowledgeEscrowFindings } from './private/nag-acknowledgements';
import * as perms from './private/perms';
import * as policies from './private/policies';
import { Retention } from './retention';
import { RotatingImportedKeyProps } from './rotating-imported-key-props';
import { RotationServices } from './rotation-services';
import * as validation from './validation';
import { WrappingAlgorithm, WrappingKeySpec } from './wrapping';

const RESOURCE_TYPE = 'Custom::RotatingImportedKey';
const SCHEDULE_PERIOD_MINUTES = 10;
const WARNING_PREFIX = 'cdk-rotating-imported-key';
/** NIST SP 800-57 Part 1 Rev. 5, Table 1: a symmetric data-encryption key's originator-usage period. */
const NIST_MAX_ORIGINATOR_MONTHS = 24;

/**
 * A KMS key with imported key material (origin `EXTERNAL`) that rotates every
 * N months: a new key (generation) is created, fresh 256-bit material is
 * imported, and the alias moves to it. Older generations stay enabled and
 * decrypt-only.
 *
 * It is an `IKey` whose ARN is the alias ARN, so buckets, queues, topics and
 * secrets that take an `encryptionKey` follow the alias. Grants follow
 * rotation: encryption on the current generation, decryption on every
 * generation of the group.
 *
 * The key groups of a stack share a lifecycle function (CloudFormation
 * events), a rotation function (run every 10 minutes by each group's schedule)
 * and a ledger table that records each group's generations and rotation.
 *
 * @example
 * import * as iam from 'aws-cdk-lib/aws-iam';
 * import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';
 *
 * declare const role: iam.IRole;
 * const key = new RotatingImportedKey(this, 'TelemetryKey', {
 *   aliasName: 'alias/telemetry',
 *   rotationInterval: RotationInterval.months(6),
 * });
 * key.grantEncryptDecrypt(role);
 */
export class RotatingImportedKey extends Resource implements kms.IKey, ITaggableV2 {
  /**
   * `source` of the event the rotation function puts on the default event
   * bus after each completed rotation.
   */
  public static readonly EVENT_SOURCE = contract.EVENT_SOURCE;

  /**
   * `detail-type` of the event put after each completed rotation.
   */
  public static readonly EVENT_DETAIL_TYPE = contract.EVENT_DETAIL_TYPE;

  /**
   * CloudWatch namespace of the rotation function's metrics (dimension `KeyGroup`).
   */
  public static readonly METRIC_NAMESPACE = contract.METRIC_NAMESPACE;

  /**
   * The alias that points at the current generation.
   */
  public readonly aliasName: string;

  /**
   * ARN of the alias.
   */
  public readonly aliasArn: string;

  /**
   * The key's ARN as other services should store it: the alias ARN, so they
   * follow rotation.
   *
   * It is read from the key group's custom resource, so a resource that uses
   * it (a bucket, a queue, a secret) is created after generation 1 and the
   * alias exist.
   *
   * @attribute
   */
  public readonly keyArn: string;

  /**
   * The key's identifier as other services should use it: the alias name.
   *
   * Read from the custom resource, like `keyArn`.
   *
   * @attribute
   */
  public readonly keyId: string;

  /**
   * The stable id of the key group (tags, IAM conditions, generation aliases).
   */
  public readonly groupId: string;

  /**
   * The prefix of this group's generation aliases: `alias/rotation/<groupId>/`.
   */
  public readonly generationAliasPrefix: string;

  /**
   * ARN of the generation that was current when the key group's custom
   * resource last ran: a deploy-time value (for outputs and audits).
   *
   * It changes only when the props change: a redeploy with unchanged props
   * sends the custom resource no event, so after a rotation it still names the
   * retired generation, whose fence denies encryption to everyone. Never give
   * it to a service as its key: use `keyArn` (the alias), or a conventional
   * `kms.Key` for services that need a key ARN. The key-usage checks report
   * it in a key setting as an error.
   */
  public readonly currentKeyArn: string;

  /**
   * Key id of the generation that was current when the custom resource last
   * ran: a deploy-time value, like `currentKeyArn`.
   */
  public readonly currentKeyId: string;

  /**
   * Number of the generation that was current when the custom resource last
   * ran (`1`, `2`, ...): a deploy-time value, like `currentKeyArn`.
   */
  public readonly currentGeneration: string;

  /**
   * The rotation function of the stack, shared by every key group in it: the
   * target of the schedules, and what `grantRotateNow` allows to invoke.
   */
  public readonly rotationFunction: lambda.IFunction;

  /**
   * The lifecycle function of the stack, shared by every key group in it: it
   * handles the key groups' CloudFormation events, and only the custom
   * resource provider may invoke it.
   */
  public readonly lifecycleFunction: lambda.IFunction;

  /**
   * The ledger of the stack, shared by every key group in it: one item per
   * group with its generations, the rotation under way and the lock.
   * Retained when the stack is deleted.
   */
  public readonly ledgerTable: dynamodb.ITableV2;

  /**
   * The stack's HMAC key that seals the deployed settings in the ledger,
   * shared by every key group in it. Give its ARN to the `report` command
   * (`--settings-seal-key`) so that the report verifies the seals.
   */
  public readonly settingsSealKey: kms.IKey;

  /**
   * The stack's HMAC key that seals every ledger entry, shared by every key
   * group in it. Give its ARN to the `report` command (`--ledger-seal-key`)
   * so that the report verifies the seals.
   */
  public readonly ledgerSealKey: kms.IKey;

  /**
   * Dead-letter queue of the stack's rotation schedules and of failed
   * asynchronous rotation runs, shared by every key group in the stack.
   */
  public readonly deadLetterQueue: sqs.IQueue;

  /**
   * Alarm on the dead-letter queue (messages sent to it in any 5 minutes, so
   * every new failure notifies again), shared by every key group in the
   * stack. Add an action to be notified of failed rotations.
   */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  /**
   * Fires when a rotation run of this group failed (in any 10 minutes).
   */
  public readonly rotationFailedAlarm: cloudwatch.Alarm;

  /**
   * Fires when this group is more than a day past its due date, or when the
   * rotation function has reported nothing for it for 3 hours (missing data
   * is breaching).
   */
  public readonly rotationOverdueAlarm: cloudwatch.Alarm;

  /**
   * Fires when key material of a generation this group keeps enabled
   * expires within 30 days (a third of the validity, for validities under 90
   * days), or has expired. Only with `materialExpiration` set to expire.
   */
  public readonly materialExpiringAlarm?: cloudwatch.Alarm;

  /**
   * Fires when the rotation function found tags or a due date of this group
   * that disagree with the ledger (tampering detected).
   */
  public readonly tamperingDetectedAlarm: cloudwatch.Alarm;

  /**
   * The rotation function's log group, shared by every key group in the stack.
   */
  public readonly rotationLogGroup: logs.ILogGroup;

  /**
   * The lifecycle function's log group, shared by every key group in the stack.
   */
  public readonly lifecycleLogGroup: logs.ILogGroup;

  /**
   * The event bus of the rotation events, shared by every key group in the
   * stack. Its resource policy denies `events:PutEvents` to every principal
   * but the rotation function's role, so every event on it is genuine.
   * `onRotated()` makes its rule on it; a rule of your own (in another stack,
   * say) must be on this bus too.
   */
  public readonly rotationEventBus: events.IEventBus;

  /**
   * The schedule (every 10 minutes) that starts a rotation of this key group
   * when it is due and advances a rotation under way.
   */
  public readonly schedule: scheduler.ISchedule;

  /**
   * The bucket escrow objects are written to (the `escrow` prop): the one the
   * key group created (`MaterialEscrow.toNewBucket`) or the one passed.
   */
  public readonly escrowBucket?: s3.IBucket;

  /**
   * Tags of every generation: the `tags` prop and tags added with `Tags.of()`.
   */
  public readonly cdkTagManager: TagManager;

  constructor(scope: Construct, id: string, props: RotatingImportedKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const groupId = props.groupId ?? defaultGroupId(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    const scheduleHour = props.scheduleHour ?? 3;
    const scheduleMinute = props.scheduleMinute ?? 0;
    const timeZone = props.scheduleTimeZone ?? TimeZone.ETC_UTC;
    const propagationWindow = props.propagationWindow ?? Duration.minutes(7);
    const emergencyRotationsPerDay = props.maxEmergencyRotationsPerDay ?? 3;
    const wrappingAlgorithm = props.wrappingAlgorithm ?? WrappingAlgorithm.RSAES_OAEP_SHA_256;
    const wrappingKeySpec = props.wrappingKeySpec ?? WrappingKeySpec.RSA_4096;
    const expiration = props.materialExpiration ?? MaterialExpiration.never();
    const statements = props.policyStatements ?? [];
    const userTags = props.tags ?? {};
    const retention = props.retention ?? Retention.keepAll();
    const material = props.material ?? KeyMaterialSource.generated();
    const materialProblems = material._problems(this);
    if (materialProblems.length > 0) throw new Error(materialProblems.join('; '));
    const escrowProblems = escrowProblemsOf(props.escrow, material);
    if (escrowProblems.length > 0) {
      throw new Error(`RotatingImportedKey ${this.node.path} has invalid props:\n${escrowProblems.map((p) => `  - ${p}`).join('\n')}`);
    }

    this.checkProps(props, {
      groupId,
      removalPolicy,
      pendingWindow,
      scheduleHour,
      scheduleMinute,
      timeZone,
      propagationWindow,
      statements,
      userTags,
      expiration,
      material,
      emergencyRotationsPerDay,
    });

    this.groupId = groupId;
    this.aliasName = props.aliasName;
    this.aliasArn = stack.formatArn({ service: 'kms', resource: props.aliasName });
    this.generationAliasPrefix = `${validation.GENERATION_ALIAS_ROOT}${groupId}/`;

    const services = RotationServices.of(this, {
      logEncryptionKey: props.logEncryptionKey, deadLetterAlarmActions: props.deadLetterAlarmActions, logRetention: props.logRetention,
    });
    const escrow = props.escrow?._bind(this, groupId);
    this.escrowBucket = escrow?.bucket;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    const pendingWindowDays = Tokenization.stringifyNumber(pendingWindow.toDays());
    services.register({
      groupId,
      aliasName: props.aliasName,
      constructPath: this.node.path,
      aliasArn: this.aliasArn,
      generationAliasArns: stack.formatArn({ service: 'kms', resource: `${this.generationAliasPrefix}*` }),
      wrappingAlgorithm,
      wrappingKeySpec,
      expirationModel: expiration.expirationModel,
      pendingWindowDays: destroy ? pendingWindowDays : undefined,
      retentionActions: retention._actions(),
      retentionPendingWindowDays: retention._pendingWindowDays()?.toString(),
      materialFunctionArn: material._functionArn(),
      ...(props.adopt ? { adopt: { aliasName: props.aliasName, fence: props.adopt.fence } } : {}),
      escrowObjectsArn: escrow?.objectsArn,
      escrowBucketKeyArn: escrow?.bucket.encryptionKey?.keyArn,
    });
    if (escrow) {
      acknowledgeEscrowFindings([services.lifecycleRole, services.rotationRole], escrow.bucket, escrow.objectsArn, props.escrow!._createsBucket);
    }
    this.rotationFunction = services.rotationFunction;
    this.lifecycleFunction = services.lifecycleFunction;
    this.ledgerTable = services.ledgerTable;
    this.settingsSealKey = services.settingsSealKey;
    this.ledgerSealKey = services.ledgerSealKey;
    this.deadLetterQueue = services.deadLetterQueue;
    this.deadLetterAlarm = services.deadLetterAlarm;
    this.rotationLogGroup = services.rotationLogGroup;
    this.lifecycleLogGroup = services.lifecycleLogGroup;
    this.rotationEventBus = services.eventBus;

    this.cdkTagManager = new TagManager(TagType.MAP, RESOURCE_TYPE, userTags);
    this.node.addValidation({ validate: () => validation.validateTags(this.cdkTagManager.tagValues()) });

    const resource = new CustomResource(this, 'Resource', {
      serviceToken: services.provider.serviceToken,
      resourceType: RESOURCE_TYPE,
      properties: {
        GroupId: groupId,
        AliasName: props.aliasName,
        IntervalMonths: Tokenization.stringifyNumber(props.rotationInterval.toMonths()),
        Description: props.description ?? '',
        KeyPolicyStatements: stack.toJsonString(statements.map((s) => s.toStatementJson())),
        Tags: Lazy.string({ produce: () => stack.toJsonString(this.cdkTagManager.tagValues()) }),
        WrappingAlgorithm: wrappingAlgorithm,
        WrappingKeySpec: wrappingKeySpec,
        MaterialValidityDays: Tokenization.stringifyNumber(expiration.validityDays),
        RemovalPolicy: destroy ? 'destroy' : 'retain',
        PendingWindowDays: pendingWindowDays,
        LifecycleRoleArn: services.lifecycleRole.roleArn,
        RotationRoleArn: services.rotationRole.roleArn,
        AccountId: stack.account,
        Partition: stack.partition,
        PropagationWindowSeconds: Tokenization.stringifyNumber(propagationWindow.toSeconds()),
        ScheduleHour: Tokenization.stringifyNumber(scheduleHour),
        ScheduleTimeZone: timeZone.timezoneName,
        EmergencyRotationsPerDay: Tokenization.stringifyNumber(emergencyRotationsPerDay),
        // Sealed with the settings; every key the functions make carries it (tag rotation:stack, at CreateKey only).
        StackId: stack.stackId,
        ...(retention._property() !== undefined ? { Retention: retention._property() } : {}),
        ...(material._property(this) !== undefined ? { MaterialSource: material._property(this) } : {}),
        ...(props.adopt ? { Adopt: props.adopt._property(this) } : {}),
        ...(escrow ? { Escrow: escrow.property } : {}),
      },
    });
    // The lifecycle function needs its role's policy and the ledger for the
    // Create, and the rotation function may run for the group as soon as it
    // exists (rotate-now): both roles' policies and the ledger come first.
    resource.node.addDependency(services.lifecycleRole, services.rotationRole, services.ledgerTable);
    this.keyArn = resource.getAttString('AliasArn');
    this.keyId = resource.getAttString('AliasName');
    this.currentKeyArn = resource.getAttString('KeyArn');
    this.currentKeyId = resource.getAttString('KeyId');
    this.currentGeneration = resource.getAttString('Generation');

    const schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Rotation check of key group ${groupId} every 10 minutes (starts a due rotation, advances one under way)`,
      // Every 10 minutes, so each rotation phase runs soon after its
      // propagation window; the function starts a due rotation only in
      // scheduleHour (it gets the hour and time zone from the custom resource).
      schedule: scheduler.ScheduleExpression.cron({
        minute: `${scheduleMinute % SCHEDULE_PERIOD_MINUTES}/${SCHEDULE_PERIOD_MINUTES}`,
        hour: '*',
        timeZone,
      }),
      target: new targets.LambdaInvoke(services.rotationFunction, {
        input: scheduler.ScheduleTargetInput.fromObject({ action: 'rotate-if-due', aliasName: props.aliasName, groupId }),
        role: services.schedulerRole,
        deadLetterQueue: services.deadLetterQueue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    });
    // A check before generation 1 exists would only fail into the dead-letter queue.
    schedule.node.addDependency(resource);
    this.schedule = schedule;
    const alarms = createGroupAlarms(this, groupId, {
      rotationFailed: (o) => this.metricRotationFailed(o),
      daysUntilDue: (o) => this.metricDaysUntilDue(o),
      daysUntilMaterialExpiry: (o) => this.metricDaysUntilMaterialExpiry(o),
      tamperingDetected: (o) => this.metricTamperingDetected(o),
    }, expiration.expires ? materialExpiryWarningDays(expiration.validityDays) : undefined);
    this.rotationFailedAlarm = alarms.rotationFailed;
    this.rotationOverdueAlarm = alarms.rotationOverdue;
    this.materialExpiringAlarm = alarms.materialExpiring;
    this.tamperingDetectedAlarm = alarms.tamperingDetected;
    const groupAlarms = [alarms.rotationFailed, alarms.rotationOverdue, alarms.tamperingDetected]
      .concat(alarms.materialExpiring ? [alarms.materialExpiring] : []);
    for (const alarm of groupAlarms) alarm.addAlarmAction(...(props.alarmActions ?? []));
    acknowledgeAlarmActions(groupAlarms, (props.alarmActions ?? []).length > 0);

    // Synth-time checks of every resource in the app that uses this key group.
    KeyGroupRegistry.of(this).add(this, services);

    const months = props.rotationInterval.toMonths();
    if (!Token.isUnresolved(months) && months > NIST_MAX_ORIGINATOR_MONTHS) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:intervalExceedsNistCryptoperiod`,
        `rotationInterval: ${months} months is longer than the ${NIST_MAX_ORIGINATOR_MONTHS}-month originator-usage period NIST SP 800-57 Part 1 `
        + 'recommends for a symmetric data-encryption key (Rev. 5, Table 1); choose 24 months or less unless your cryptoperiod policy says otherwise.');
    }
    if (expiration.expires && material._functionArn() === undefined) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:manualReimport`,
        `materialExpiration: material of every generation expires ${expiration.validityDays} days after import, and generated material can only be `
        + 'imported again by hand, from escrow (docs/escrow-recovery.md): the report lists each generation to re-import with its date, and the '
        + `MaterialExpiringAlarm fires ${materialExpiryWarningDays(expiration.validityDays)} days before the earliest expiry.`);
    }
    if (wrappingAlgorithm === WrappingAlgorithm.RSA_AES_KEY_WRAP_SHA_256) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:rsaAesWrapping`,
        'wrappingAlgorithm: AWS documents RSA_AES_KEY_WRAP_SHA_256 for RSA and ECC key material; that KMS accepts it for symmetric material is not confirmed. '
        + 'RSAES_OAEP_SHA_256 is documented for symmetric material.');
    }
    if (material._crossAccount(this)) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:materialFunctionCrossAccount`,
        'material: the provider function is in another account; its resource policy must allow lambda:InvokeFunction to the lifecycle and rotation roles.');
    }
    if (props.adopt && destroy) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:adoptedKeyKept`,
        'adopt: removalPolicy DESTROY schedules the deletion of the generations this library made, never of the adopted key (generation 0): '
        + 'it existed before the stack and others may rely on it; delete it yourself if it is no longer needed.');
    }
    if (!destroy && props.pendingWindow !== undefined) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:pendingWindowIgnored`,
        'pendingWindow is used only with removalPolicy DESTROY; generations are retained.');
    }
  }

  /**
   * The reference other constructs use for this key: the alias ARN and name.
   */
  public get keyRef(): kmsRefs.KeyReference {
    return { keyArn: this.keyArn, keyId: this.keyId };
  }

  /**
   * Number of rotations of this group completed (previous generation fenced)
   * per period: each rotation run writes 1 or 0.
   *
   * @default - sum over 10 minutes
   */
  public metricRotationSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.rotationSucceeded, 'Sum', props);
  }

  /**
   * Number of failed rotation runs of this group per period: runs that threw,
   * or completed a rotation but could not put its event. Runs that stopped
   * because the account's request quota was spent are not failures.
   *
   * @default - sum over 10 minutes
   */
  public metricRotationFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.rotationFailed, 'Sum', props);
  }

  /**
   * Number of `tampering detected` reports for this group per period.
   *
   * @default - sum over 10 minutes
   */
  public metricTamperingDetected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.tamperingDetected, 'Sum', props);
  }

  /**
   * Days since the alias moved to the current generation.
   *
   * @default - maximum over 10 minutes
   */
  public metricDaysSinceActivation(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.daysSinceActivation, 'Maximum', props);
  }

  /**
   * Days until the current generation is due (negative when overdue).
   *
   * @default - minimum over 10 minutes
   */
  public metricDaysUntilDue(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.daysUntilDue, 'Minimum', props);
  }

  /**
   * Days until the earliest expiry of key material among the generations
   * the group keeps enabled (negative once expired, until it is imported
   * again); written only while some generation's material expires.
   *
   * @default - minimum over 10 minutes
   */
  public metricDaysUntilMaterialExpiry(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.daysUntilMaterialExpiry, 'Minimum', props);
  }

  /**
   * Number of keys the group keeps (current, retired and pending; each costs
   * a KMS key's monthly fee).
   *
   * @default - maximum over 10 minutes
   */
  public metricRetainedGenerations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(contract.METRIC.retainedGenerations, 'Maximum', props);
  }

  /**
   * A rule on the stack's rotation event bus (`rotationEventBus`, on which
   * only the rotation function may put events) that matches this group's
   * event after each completed rotation (`source` `EVENT_SOURCE`,
   * `detail-type` `EVENT_DETAIL_TYPE`, `detail.group` this group), e.g. to
   * start re-encrypting data under the new generation.
   */
  public onRotated(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, { ...options, eventBus: this.rotationEventBus });
    rule.addTarget(options.target);
    rule.addEventPattern({
      source: [contract.EVENT_SOURCE],
      detailType: [contract.EVENT_DETAIL_TYPE],
      detail: { group: [this.groupId] },
    });
    return rule;
  }

  /**
   * Not supported: the rotation function manages the aliases of the group.
   */
  public addAlias(aliasName: string): kms.Alias {
    throw new Error(`RotatingImportedKey ${this.node.path}: addAlias(${JSON.stringify(aliasName)}) is not supported; `
      + 'the rotation function moves the alias to each new generation, so other aliases would stay on a retired key. Use another RotatingImportedKey or rename aliasName.');
  }

  /**
   * Not supported: the key policy of every generation is set from the
   * `policyStatements` prop.
   *
   * Returns `{ statementAdded: false }` and adds a warning, or throws when
   * `allowNoOp` is false.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement, allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    const message = `addToResourcePolicy() does not change the key policy of a RotatingImportedKey (${this.node.path}); `
      + `pass the statement in the policyStatements prop so every generation gets it: ${JSON.stringify(Stack.of(this).resolve(statement.toStatementJson()))}`;
    if (allowNoOp === false) {
      throw new Error(message);
    }
    Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:addToResourcePolicyIgnored`, message);
    return { statementAdded: false };
  }

  /**
   * Not supported: set `removalPolicy` in the props; it decides what happens to
   * every generation.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    throw new Error(`RotatingImportedKey ${this.node.path}: applyRemovalPolicy(${policy}) is not supported; set the removalPolicy prop (RETAIN or DESTROY)`);
  }

  /**
   * Grants the actions to the principal's identity policy.
   *
   * `kms:Decrypt` and `kms:DescribeKey` are granted on every generation of
   * the group (keys tagged with the group id); every other action as
   * `grantEncrypt` grants encryption: on the group's keys when the request
   * names the alias (`kms:RequestAlias`), and on the generation the alias
   * points at (`kms:ResourceAliases`).
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    if (actions.length === 0) {
      throw new Error(`RotatingImportedKey ${this.node.path}: grant() needs at least one action`);
    }
    const everyGeneration = actions.filter((a) => perms.EVERY_GENERATION_ACTIONS.includes(a));
    const current = actions.filter((a) => !perms.EVERY_GENERATION_ACTIONS.includes(a));
    const grants: iam.Grant[] = [];
    if (current.length > 0) grants.push(this.grantOnCurrentGeneration(grantee, current));
    if (everyGeneration.length > 0) grants.push(this.grantOnEveryGeneration(grantee, everyGeneration));
    return grants.reduce((a, b) => a.combine(b));
  }

  /**
   * Grants decryption with every generation of the group, including retired
   * ones and those created by later rotations.
   */
  public grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnEveryGeneration(grantee, perms.DECRYPT_ACTIONS);
  }

  /**
   * Grants encryption with the current generation. Retired generations cannot
   * encrypt.
   *
   * Two statements: one allows requests that name the alias (name or ARN,
   * `kms:RequestAlias`) on keys of the group, so it holds the moment the
   * alias moves; the other allows the key the alias points at
   * (`kms:ResourceAliases`), for services that resolved the alias to a key id.
   */
  public grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnCurrentGeneration(grantee, perms.ENCRYPT_ACTIONS);
  }

  /**
   * Grants encryption with the current generation and decryption with every
   * generation.
   */
  public grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grantEncrypt(grantee).combine(this.grantDecrypt(grantee));
  }

  /**
   * Grants invoking the rotation function (`lambda:InvokeFunction` on it and
   * nothing else), e.g. for an emergency `rotate-now`.
   *
   * The rotation function is shared by the key groups of the stack, so the
   * grantee may start a rotation of any of them. It cannot change a group's
   * settings, nor delete a key that ever held data except as a group's
   * `Retention.deleteAfter()` policy says.
   */
  public grantRotateNow(grantee: iam.IGrantable): iam.Grant {
    return this.rotationFunction.grantInvoke(grantee);
  }

  /**
   * Denies this stack's rotation functions every KMS action on another key of
   * the account, in that key's policy: protection from whoever might obtain
   * the functions' credentials (see docs/security-model.md). The same for
   * every key group of the stack, since they share the functions.
   *
   * @param key a key defined in this app (`new kms.Key`); not the key of an
   * escrow bucket of this stack
   */
  public protectKey(key: kms.IKey): void {
    RotationServices.of(this).protectKey(key);
  }

  /**
   * Not supported: generations are symmetric encryption keys.
   */
  public grantSign(_grantee: iam.IGrantable): iam.Grant {
    throw this.unsupportedUsage('grantSign');
  }

  /**
   * Not supported: generations are symmetric encryption keys.
   */
  public grantVerify(_grantee: iam.IGrantable): iam.Grant {
    throw this.unsupportedUsage('grantVerify');
  }

  /**
   * Not supported: generations are symmetric encryption keys.
   */
  public grantSignVerify(_grantee: iam.IGrantable): iam.Grant {
    throw this.unsupportedUsage('grantSignVerify');
  }

  /**
   * Not supported: generations are symmetric encryption keys, not HMAC keys.
   */
  public grantGenerateMac(_grantee: iam.IGrantable): iam.Grant {
    throw this.unsupportedUsage('grantGenerateMac');
  }

  /**
   * Not supported: generations are symmetric encryption keys, not HMAC keys.
   */
  public grantVerifyMac(_grantee: iam.IGrantable): iam.Grant {
    throw this.unsupportedUsage('grantVerifyMac');
  }

  private metric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: contract.METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [contract.GROUP_DIMENSION]: this.groupId },
      statistic,
      period: Duration.minutes(SCHEDULE_PERIOD_MINUTES),
      ...props,
    });
  }

  private get allKeyArns(): string {
    return Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
  }

  private grantOnCurrentGeneration(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return this.grantOnKeys(grantee, actions, policies.requestAliasConditions(this.aliasName, this.aliasArn, this.groupId))
      .combine(this.grantOnKeys(grantee, actions, policies.currentGenerationConditions(this.aliasName)));
  }

  private grantOnEveryGeneration(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return this.grantOnKeys(grantee, actions, policies.everyGenerationConditions(this.groupId));
  }

  /** Identity-policy grant on key/*, narrowed by `conditions` (generations are created at run time). */
  private grantOnKeys(grantee: iam.IGrantable, actions: string[], conditions: Record<string, Record<string, unknown>>): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.allKeyArns], conditions });
  }

  private unsupportedUsage(method: string): Error {
    return new Error(`RotatingImportedKey ${this.node.path}: ${method}() is not supported; `
      + 'generations are symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)');
  }

  private checkProps(props: RotatingImportedKeyProps, resolved: ResolvedProps): void {
    const stack = Stack.of(this);
    const existing = RotationServices.find(this);
    const problems: string[] = [
      ...validation.validateAliasName(props.aliasName),
      ...(props.groupId !== undefined ? validation.validateGroupId(resolved.groupId) : []),
      ...validation.validateScheduleTime(resolved.scheduleHour, resolved.scheduleMinute),
      ...validation.validateTimeZone(resolved.timeZone),
      ...validation.validatePropagationWindow(resolved.propagationWindow),
      ...validation.validateMaxEmergencyRotationsPerDay(resolved.emergencyRotationsPerDay),
      ...validation.validateRemovalPolicy(resolved.removalPolicy),
      ...validation.validatePendingWindow(resolved.pendingWindow),
      ...validation.validateDescription(props.description ?? ''),
      ...validation.validateTags(resolved.userTags),
    ];
    if (!props.rotationInterval) {
      problems.push('rotationInterval is required, e.g. RotationInterval.months(6)');
    } else {
      problems.push(...validateMaterialExpiration(resolved.expiration, {
        intervalMonths: props.rotationInterval.toMonths(),
        automaticReimport: resolved.material._functionArn() !== undefined,
        escrowed: props.escrow !== undefined,
      }));
    }
    const keyPolicy = validation.validateKeyPolicyStatements(resolved.statements, {
      resolve: (x) => stack.resolve(x),
      protectedPrincipals: existing
        ? [existing.lifecycleRole, existing.rotationRole].map((role) => JSON.stringify(stack.resolve(role.roleArn)))
        : [],
    });
    problems.push(...keyPolicy.problems);
    problems.push(...validation.validateLogEncryptionKey(props.logEncryptionKey));
    if (props.adopt) {
      problems.push(...validation.validateAdopt(props.aliasName));
      // An alias CloudFormation manages elsewhere in the app would be moved back by its own stack's next deploy.
      this.node.addValidation({ validate: () => validation.adoptedAliasConflicts(this, props.aliasName) });
    }
    if (existing) {
      problems.push(...validation.validateSharedOptions(existing, props));
      const conflict = existing.findConflict(props.aliasName, resolved.groupId);
      if (conflict.aliasOwner && !Token.isUnresolved(props.aliasName)) {
        problems.push(`aliasName ${JSON.stringify(props.aliasName)} is already used by ${conflict.aliasOwner} in this stack; each key group needs its own alias`);
      }
      if (conflict.groupOwner) {
        problems.push(`groupId ${JSON.stringify(resolved.groupId)} is already used by ${conflict.groupOwner} in this stack; each key group needs its own group id`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`RotatingImportedKey ${this.node.path} has invalid props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
    for (const warning of keyPolicy.warnings) {
      Annotations.of(this).addWarningV2(`${WARNING_PREFIX}:keyPolicyMayLockOut`, warning);
    }
  }
}

interface ResolvedProps {
  readonly groupId: string;
  readonly removalPolicy: RemovalPolicy;
  readonly pendingWindow: Duration;
  readonly scheduleHour: number;
  readonly scheduleMinute: number;
  readonly timeZone: TimeZone;
  readonly propagationWindow: Duration;
  readonly statements: iam.PolicyStatement[];
  readonly userTags: { [key: string]: string };
  readonly expiration: MaterialExpiration;
  readonly material: KeyMaterialSource;
  readonly emergencyRotationsPerDay: number;
}

/** The escrow prop's own problems, and escrow with a provider function (whose plaintext never enters the functions). */
function escrowProblemsOf(escrow: MaterialEscrow | undefined, material: KeyMaterialSource): string[] {
  if (!escrow) return [];
  const problems = escrow._problems();
  if (material._functionArn() !== undefined) {
    problems.push('escrow and material: MaterialEscrow escrows generated material only (KeyMaterialSource.generated()); '
      + 'with KeyMaterialSource.fromFunction() the plaintext never enters the functions, so escrow it where your provider makes it');
  }
  return problems;
}

function defaultGroupId(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' }).replace(/[^A-Za-z0-9-]/g, '');
}
