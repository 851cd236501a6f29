import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

// cdk-nag findings (AwsSolutions, NIST 800-53 rev 5, HIPAA Security, PCI DSS
// 3.2.1, Serverless) that are inherent to the design, each acknowledged on the
// construct it is about, with its reason. The tests of the example stack and of
// a stack with every option prove every one of them is reported without it.
//
// The ledger table has none: cdk-nag 3's DynamoDB rules check only
// AWS::DynamoDB::Table, and TableV2 renders AWS::DynamoDB::GlobalTable (the
// example's tests fail when that changes). NIST.800.53.R5-DynamoDBInBackupPlan
// would then be acknowledged on the table: point-in-time recovery and deletion
// protection are on, the table is retained with the stack, and a lost ledger
// can be rebuilt from the keys' generation aliases and tags.

/** The shared constructs whose findings are acknowledged. */
export interface StackFindingScopes {
  readonly lifecycleRole: iam.IRole;
  readonly rotationRole: iam.IRole;
  readonly providerRole: iam.IRole;
  readonly schedulerRole: iam.IRole;
  readonly lifecycleFunction: lambda.IFunction;
  readonly rotationFunction: lambda.IFunction;
  readonly providerFunction: IConstruct;
  readonly logGroups: IConstruct[];
  /** Whether the log groups use a customer managed key (logEncryptionKey). */
  readonly logsEncrypted: boolean;
  readonly deadLetterAlarm: IConstruct;
  /** Whether the dead-letter alarm got actions from the props (deadLetterAlarmActions). */
  readonly alarmHasActions: boolean;
  readonly deadLetterQueue: IConstruct;
}

const NIST = 'NIST.800.53.R5';
const HIPAA = 'HIPAA.Security';
const PCI = 'PCI.DSS.321';
const SERVERLESS = 'Serverless';

/**
 * A KMS ARN of the scope's stack as cdk-nag writes it in a finding id: a
 * pseudo parameter as `<AWS::Region>`, a literal Region or account as itself.
 */
function nagKmsArn(scope: IConstruct, resource: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:kms:${region}:${account}:${resource}`;
}

/** Acknowledges the findings of the resources every stack has once. */
export function acknowledgeStackFindings(scopes: StackFindingScopes): void {
  acknowledgeRoleWildcards(scopes);
  acknowledgeInvokeVersions(scopes.providerRole, scopes.lifecycleFunction, 'The provider framework may invoke the lifecycle function');
  acknowledgeInvokeVersions(scopes.schedulerRole, scopes.rotationFunction, 'The schedules may invoke the rotation function');
  acknowledgeCompliancePackFindings(scopes);
}

/** Acknowledges the generation-alias wildcard of one key group on the roles that write its aliases. */
export function acknowledgeGroupFindings(roles: iam.IRole[], groupId: string): void {
  for (const role of roles) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagKmsArn(role, `alias/rotation/${groupId}/*`)}]`,
      reason: `Generation aliases of key group ${groupId} are created as the group rotates (generation-1, generation-2, ...); the wildcard covers exactly that group's prefix.`,
    });
  }
}

/** Acknowledges, on both function roles, the key/* statement of a key group that adopts the key its alias points at. */
export function acknowledgeAdoptionFindings(roles: iam.IRole[], groupId: string, aliasName: string): void {
  for (const role of roles) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagKmsArn(role, 'key/*')}]`,
      reason: `Key group ${groupId} adopts the key ${aliasName} points at, whose id is unknown at deploy time: its statement on key/* requires kms:ResourceAliases = ${aliasName} `
        + '(the alias pointed at that key before the stack) and allows only reading it and (lifecycle) its tags, never its policy, state or deletion.',
    });
  }
}

function acknowledgeRoleWildcards(scopes: StackFindingScopes): void {
  const keys = nagKmsArn(scopes.lifecycleRole, 'key/*');
  Validations.of(scopes.lifecycleRole).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${keys}]`,
      reason: 'Key ids of future generations are unknown at deploy time; every statement on key/* requires the aws:ResourceTag/rotation:group tag of this stack\'s key groups, so only their keys are reachable.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagKmsArn(scopes.lifecycleRole, 'alias/*')}]`,
      reason: 'Only kms:DeleteAlias, to remove a renamed user alias that the updated policy no longer names; KMS also requires DeleteAlias on the target key, which is allowed only for this stack\'s group-tagged keys.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'kms:CreateKey has no resource (conditioned on the group request tag, EXTERNAL origin and symmetric key spec); kms:ListAliases and tag:GetResources support no resource-level permissions.',
    },
  );
  Validations.of(scopes.rotationRole).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${keys}]`,
      reason: 'Key ids of future generations are unknown at deploy time; every statement on key/* requires the aws:ResourceTag/rotation:group tag of this stack\'s key groups, '
        + 'deletion also the pending stage tag (or, for a retention policy that deletes, the retired stage tag and that policy\'s pending window), '
        + 'and the retention actions (DisableKey, GetKeyLastUsage; only for groups whose retention policy needs them) the retired stage tag.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'kms:CreateKey has no resource (conditioned on the group and pending request tags, EXTERNAL origin and symmetric key spec), nor has the TagResource it implies (the key does not exist yet: group request tag required); tag:GetResources supports no resource-level permissions.',
    },
  );
}

function acknowledgeInvokeVersions(role: iam.IRole, fn: lambda.IFunction, who: string): void {
  const logicalId = Stack.of(fn).resolve(fn.functionArn)['Fn::GetAtt'][0];
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
    reason: `${who}: Function.grantInvoke allows the function and its versions and aliases; nothing else is invokable.`,
  });
}

/** A finding that several compliance packs report under one rule name. */
function acknowledgeInPacks(scopes: IConstruct[], packs: string[], rule: string, reason: string): void {
  for (const scope of scopes) {
    Validations.of(scope).acknowledge(...packs.map((pack) => ({ id: `${pack}-${rule}`, reason })));
  }
}

function acknowledgeCompliancePackFindings(scopes: StackFindingScopes): void {
  const functions = [scopes.lifecycleFunction, scopes.rotationFunction, scopes.providerFunction];
  const synchronous = [scopes.lifecycleFunction, scopes.providerFunction];
  acknowledgeInPacks(functions, [NIST, HIPAA], 'LambdaConcurrency',
    'No reserved concurrency on purpose: runs of one key group are serialised by the ledger\'s lock, and reserved concurrency would throttle the parallel creation of many key groups in one deployment.');
  acknowledgeInPacks(functions, [NIST, HIPAA, PCI], 'LambdaInsideVPC',
    'The functions call only the public KMS, tagging and DynamoDB endpoints and CloudFormation; running them in a VPC with interface endpoints is a planned option, not a requirement of the design.');
  acknowledgeInPacks(synchronous, [NIST, HIPAA, SERVERLESS], 'LambdaDLQ',
    'Invoked synchronously (CloudFormation through the provider framework) and every failure is reported to CloudFormation; an asynchronous dead-letter queue would never receive anything.');
  acknowledgeInPacks(functions, [SERVERLESS], 'LambdaTracing',
    'The handlers are not instrumented for X-Ray (no tracer in the bundle), so active tracing would record only an empty invocation segment and add xray:Put* on * to the roles; each run logs one JSON line per step instead.');
  acknowledgeInPacks([scopes.providerFunction], [SERVERLESS], 'LambdaDefaultMemorySize',
    'aws-cdk-lib\'s custom-resource provider framework function: cr.Provider has no memory setting, and the function only forwards CloudFormation events to the lifecycle function and waits for its answer.');
  acknowledgeInPacks([scopes.lifecycleRole, scopes.rotationRole, scopes.providerRole, scopes.schedulerRole], [NIST, HIPAA, PCI], 'IAMNoInlinePolicy',
    'The role\'s permissions are the CDK-managed policy of this role alone (scoped per key group by tags and alias ARNs); a separate managed policy would add nothing but a resource.');
  if (!scopes.logsEncrypted) {
    acknowledgeInPacks(scopes.logGroups, [NIST, HIPAA, PCI], 'CloudWatchLogGroupEncrypted',
      'The logs carry no key material and no import token (a test searches every line of a two-year run for them), and CloudWatch Logs encrypts them with its own key; pass logEncryptionKey (a conventional kms.Key: CloudWatch Logs needs a key ARN, so not a rotating key) to use a customer managed key.');
  }
  if (!scopes.alarmHasActions) {
    acknowledgeInPacks([scopes.deadLetterAlarm], [NIST, HIPAA], 'CloudWatchAlarmAction',
      'Who is notified is the user\'s choice: pass deadLetterAlarmActions (or call key.deadLetterAlarm.addAlarmAction()); the library cannot know the topic or pager to notify.');
  }
  acknowledgeInPacks([scopes.deadLetterQueue], [SERVERLESS], 'SQSRedrivePolicy',
    'This queue is itself the dead-letter queue of the schedules and of failed asynchronous rotation runs; its messages are kept 14 days for inspection and raise the dead-letter alarm.');
}

/** A key group's alarms without actions: who is notified is the user's choice (alarmActions). */
export function acknowledgeAlarmActions(alarms: IConstruct[], hasActions: boolean): void {
  if (hasActions) return;
  acknowledgeInPacks(alarms, [NIST, HIPAA], 'CloudWatchAlarmAction',
    'Who is notified is the user\'s choice: pass alarmActions (or call addAlarmAction() on the alarm); the library cannot know the topic or pager to notify.');
}

/** Escrow (MaterialEscrow): the object-prefix wildcard on the roles, and the findings of a bucket the key group created. */
export function acknowledgeEscrowFindings(roles: iam.IRole[], bucket: s3.IBucket, objectsArn: string, createdBucket: boolean): void {
  for (const role of roles) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagString(Stack.of(role).resolve(objectsArn))}]`,
      reason: 'Escrow objects of this key group are written as it rotates, one new key per import attempt (<prefix><group>/generation-<n>/<attempt>.json); '
        + 'the wildcard covers exactly that group\'s prefix, and the actions are put, tag and read (no delete, no list).',
    });
  }
  if (!createdBucket) return;
  acknowledgeInPacks([bucket], ['AwsSolutions'], 'S1',
    'The escrow bucket is written once per rotation by the functions alone (their logs record every write and read-back); server access logs would need a second bucket '
    + 'with its own retention. Use CloudTrail S3 data events on the bucket, or MaterialEscrow.toBucket() with a bucket of your own that logs, if required.');
  acknowledgeInPacks([bucket], [NIST, HIPAA, PCI], 'S3BucketLoggingEnabled',
    'See AwsSolutions-S1: every escrow write and read-back is logged by the functions; CloudTrail S3 data events or a bucket of your own (toBucket) add server-side records.');
  acknowledgeInPacks([bucket], [NIST, HIPAA, PCI], 'S3BucketReplicationEnabled',
    'Versioning and Object Lock (COMPLIANCE) protect every escrow object from deletion; replication to another Region needs a destination bucket the library cannot choose: '
    + 'pass a replicated bucket with MaterialEscrow.toBucket() for a second copy.');
  acknowledgeInPacks([bucket], [NIST, HIPAA, PCI], 'S3DefaultEncryptionKMS',
    'Escrow objects hold key material only wrapped to the customer\'s offline RSA key, never plaintext; SSE-S3 is used on purpose so that recovery, '
    + 'which is for the day KMS material is lost, does not depend on a KMS key. Pass a bucket with SSE-KMS to MaterialEscrow.toBucket() if required.');
}

/** A resolved value as cdk-nag writes it in a finding id: `<Logical.Arn>` for Fn::GetAtt, `<Name>` for Ref, Fn::Join joined. */
function nagString(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(nagString).join(v['Fn::Join'][0]);
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v.Ref) return `<${v.Ref}>`;
  return JSON.stringify(value);
}
