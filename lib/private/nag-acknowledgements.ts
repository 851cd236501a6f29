import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

// cdk-nag findings (AwsSolutions, NIST 800-53 rev 5) that are inherent to the
// design, each acknowledged on the construct it is about, with its reason. The
// example stack's tests prove every one of them is reported without it.
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
  readonly deadLetterAlarm: IConstruct;
}

const KEYS = 'arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*';
const ALIASES = 'arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:alias/*';

/** Acknowledges the findings of the resources every stack has once. */
export function acknowledgeStackFindings(scopes: StackFindingScopes): void {
  acknowledgeRoleWildcards(scopes);
  acknowledgeInvokeVersions(scopes.providerRole, scopes.lifecycleFunction, 'The provider framework may invoke the lifecycle function');
  acknowledgeInvokeVersions(scopes.schedulerRole, scopes.rotationFunction, 'The schedules may invoke the rotation function');
  for (const fn of [scopes.lifecycleFunction, scopes.rotationFunction]) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The runtime is pinned to the Node.js version the bundled handlers are built and tested for (node22), so templates stay deterministic.',
    });
  }
  acknowledgeNistFindings(scopes);
}

/** Acknowledges the generation-alias wildcard of one key group on the roles that write its aliases. */
export function acknowledgeGroupFindings(roles: iam.IRole[], groupId: string): void {
  for (const role of roles) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:alias/rotation/${groupId}/*]`,
      reason: `Generation aliases of key group ${groupId} are created as the group rotates (generation-1, generation-2, ...); the wildcard covers exactly that group's prefix.`,
    });
  }
}

function acknowledgeRoleWildcards(scopes: StackFindingScopes): void {
  Validations.of(scopes.lifecycleRole).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${KEYS}]`,
      reason: 'Key ids of future generations are unknown at deploy time; every statement on key/* requires the aws:ResourceTag/rotation:group tag of this stack\'s key groups, so only their keys are reachable.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ALIASES}]`,
      reason: 'Only kms:DeleteAlias, to remove a renamed user alias that the updated policy no longer names; KMS also requires DeleteAlias on the target key, which is allowed only for this stack\'s group-tagged keys.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'kms:CreateKey has no resource (conditioned on the group request tag, EXTERNAL origin and symmetric key spec); kms:ListAliases and tag:GetResources support no resource-level permissions.',
    },
  );
  Validations.of(scopes.rotationRole).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${KEYS}]`,
      reason: 'Key ids of future generations are unknown at deploy time; every statement on key/* requires the aws:ResourceTag/rotation:group tag of this stack\'s key groups, and deletion also the pending stage tag.',
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

function acknowledgeNistFindings(scopes: StackFindingScopes): void {
  for (const fn of [scopes.lifecycleFunction, scopes.rotationFunction, scopes.providerFunction]) {
    Validations.of(fn).acknowledge(
      {
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason: 'No reserved concurrency on purpose: runs of one key group are serialised by the ledger\'s lock, and reserved concurrency would throttle the parallel creation of many key groups in one deployment.',
      },
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason: 'The functions call only the public KMS, tagging and DynamoDB endpoints and CloudFormation; running them in a VPC with interface endpoints is a planned option, not a requirement of the design.',
      },
    );
  }
  for (const fn of [scopes.lifecycleFunction, scopes.providerFunction]) {
    Validations.of(fn).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'Invoked synchronously (CloudFormation through the provider framework) and every failure is reported to CloudFormation; an asynchronous dead-letter queue would never receive anything.',
    });
  }
  for (const role of [scopes.lifecycleRole, scopes.rotationRole, scopes.providerRole, scopes.schedulerRole]) {
    Validations.of(role).acknowledge({
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason: 'The role\'s permissions are the CDK-managed policy of this role alone (scoped per key group by tags and alias ARNs); a separate managed policy would add nothing but a resource.',
    });
  }
  for (const group of scopes.logGroups) {
    Validations.of(group).acknowledge({
      id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      reason: 'The logs carry no key material and no import token (a test searches every line of a two-year run for them); CloudWatch Logs encryption needs a key ARN, so it cannot use a rotating key.',
    });
  }
  Validations.of(scopes.deadLetterAlarm).acknowledge({
    id: 'NIST.800.53.R5-CloudWatchAlarmAction',
    reason: 'Who is notified is the user\'s choice: add an action with `key.deadLetterAlarm.addAlarmAction(...)`; the library cannot know the topic or pager to notify.',
  });
}
