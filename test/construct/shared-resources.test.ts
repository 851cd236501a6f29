import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { BASE_PROPS, newStack, onlyLogicalId, stackWithKey } from './helpers';
import { eventBusesOf, functionEnvironments, functionIds, functionRoles, ledgerTableName } from './synthesized-policies';
import { RotatingImportedKey, RotationInterval } from '../../lib';

function countResources(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(template.toJSON().Resources as Record<string, { Type: string }>)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

function stackWithKeys(count: number): Stack {
  const stack = newStack();
  for (let i = 1; i <= count; i++) {
    new RotatingImportedKey(stack, `Key${i}`, { aliasName: `alias/key-${i}`, rotationInterval: RotationInterval.months(i) });
  }
  return stack;
}

function functionProps(template: Template, which: 'lifecycle' | 'rotation'): Record<string, any> {
  return template.toJSON().Resources[functionIds(template.toJSON())[which]].Properties;
}

describe('resources shared by the key groups of a stack', () => {
  test('two keys share both functions, the provider, the roles, log groups, ledger, queue, alarm and scheduler role', () => {
    const template = Template.fromStack(stackWithKeys(2));
    expect(countResources(template)).toEqual({
      // lifecycle, rotation and the provider framework function
      'AWS::Lambda::Function': 3,
      // lifecycle, rotation, provider framework, scheduler
      'AWS::IAM::Role': 4,
      'AWS::IAM::Policy': 4,
      // The function roles' statements for replaced groups.
      'AWS::IAM::ManagedPolicy': 2,
      'AWS::Logs::LogGroup': 3,
      'AWS::DynamoDB::GlobalTable': 1,
      'AWS::SQS::Queue': 1,
      'AWS::SQS::QueuePolicy': 1,
      // The rotation events' bus.
      'AWS::Events::EventBus': 1,
      // The ledger's two HMAC seal keys (settings, state), and the lifecycle function's invoke guard.
      'AWS::KMS::Key': 2,
      'AWS::Lambda::ResourcePolicy': 1,
      // The shared dead-letter alarm, and three per key group (rotation failed, overdue, tampering).
      'AWS::CloudWatch::Alarm': 1 + 2 * 3,
      'Custom::RotatingImportedKey': 2,
      // One per key group, and the stack's one sweep of Creates that died.
      'AWS::Scheduler::Schedule': 2 + 1,
    });
  });

  test('each extra key group adds 5 resources (a custom resource, a schedule and its three alarms)', () => {
    const one = countResources(Template.fromStack(stackWithKeys(1)));
    const two = countResources(Template.fromStack(stackWithKeys(2)));
    const five = countResources(Template.fromStack(stackWithKeys(5)));
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const perGroup = total(two) - total(one);
    expect(perGroup).toBe(5);
    expect(total(five) - total(one)).toBe(4 * perGroup);
    const added = Object.fromEntries(Object.entries(two).filter(([type, n]) => n !== one[type]));
    expect(added).toEqual({ 'Custom::RotatingImportedKey': 2, 'AWS::Scheduler::Schedule': 3, 'AWS::CloudWatch::Alarm': 7 });
  });

  test('the singleton is a direct child of the stack, also for keys in nested constructs', () => {
    const stack = newStack();
    const nested = new Construct(stack, 'Team');
    const a = new RotatingImportedKey(nested, 'A', { ...BASE_PROPS, aliasName: 'alias/a' });
    const b = new RotatingImportedKey(stack, 'B', { ...BASE_PROPS, aliasName: 'alias/b' });
    expect(a.rotationFunction).toBe(b.rotationFunction);
    expect(a.lifecycleFunction).toBe(b.lifecycleFunction);
    expect(a.ledgerTable).toBe(b.ledgerTable);
    expect(a.deadLetterQueue).toBe(b.deadLetterQueue);
    expect(stack.node.tryFindChild('RotatingImportedKeyRotation')).toBeDefined();
  });

  test('keys in different stacks get their own functions and ledger', () => {
    const stack1 = newStack();
    const stack2 = new Stack(stack1.node.root, 'Other');
    const a = new RotatingImportedKey(stack1, 'A', BASE_PROPS);
    const b = new RotatingImportedKey(stack2, 'B', BASE_PROPS);
    expect(a.rotationFunction).not.toBe(b.rotationFunction);
    expect(a.ledgerTable).not.toBe(b.ledgerTable);
    Template.fromStack(stack2).resourceCountIs('AWS::Lambda::Function', 3);
  });

  test('the rotation function, its role and log group keep the logical ids of the single-function design', () => {
    const { template } = stackWithKey();
    const t = template().toJSON();
    expect(functionIds(t).rotation).toBe('RotatingImportedKeyRotationFunctionAB292FD4');
    expect(functionRoles(t).rotation).toMatch(/^RotatingImportedKeyRotationRole[0-9A-F]{8}$/);
    expect(Object.keys(t.Resources)).toContainEqual(expect.stringMatching(/^RotatingImportedKeyRotationLogGroup[0-9A-F]{8}$/));
  });
});

describe('the two functions', () => {
  test('the lifecycle function: lifecycleHandler, nodejs24.x on arm64, 256 MB, 10 minutes, no dead-letter queue', () => {
    const { template } = stackWithKey();
    const props = functionProps(template(), 'lifecycle');
    expect(props).toMatchObject({ Handler: 'index.lifecycleHandler', Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 256, Timeout: 600 });
    expect(props.DeadLetterConfig).toBeUndefined();
  });

  test('the rotation function: rotationHandler, nodejs24.x on arm64, 256 MB, 5 minutes, failed runs to the dead-letter queue', () => {
    const { template } = stackWithKey();
    const t = template();
    expect(functionProps(t, 'rotation')).toMatchObject({
      Handler: 'index.rotationHandler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 900,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [onlyLogicalId(t, 'AWS::SQS::Queue'), 'Arn'] } },
    });
  });

  test('both run the one bundled asset', () => {
    const { template } = stackWithKey();
    const t = template();
    expect(functionProps(t, 'lifecycle').Code).toEqual(functionProps(t, 'rotation').Code);
  });

  test('both have exactly the ledger\'s name, its seal keys and the Powertools service name in their environment; the lifecycle function also its stack, the rotation function its event bus', () => {
    const { template } = stackWithKey();
    const t = template();
    const keyArn = (id: string) => `arn:aws:kms:us-east-1:111122223333:key/${Object.keys(t.findResources('AWS::KMS::Key')).find((k) => k.includes(id))}`;
    const environment = {
      LEDGER_TABLE_NAME: ledgerTableName(t.toJSON()),
      POWERTOOLS_SERVICE_NAME: 'rotating-imported-key',
      SETTINGS_SEAL_KEY_ARN: keyArn('SettingsSealKey'),
      STATE_SEAL_KEY_ARN: keyArn('LedgerSealKey'),
    };
    expect(functionEnvironments(t.toJSON())).toEqual({
      lifecycle: { ...environment, STACK_ID: expect.stringMatching(/^arn:aws:cloudformation:us-east-1:111122223333:stack\//) },
      rotation: { ...environment, EVENT_BUS_NAME: eventBusesOf(t.toJSON())[0].name },
    });
    expect(functionProps(t, 'lifecycle').Environment.Variables.LEDGER_TABLE_NAME).toEqual({ Ref: ledgerTableName(t.toJSON()) });
  });

  test('have their own roles, assumed by Lambda only, without managed policies', () => {
    const { template } = stackWithKey();
    const t = template();
    const roles = functionRoles(t.toJSON());
    expect(roles.lifecycle).not.toBe(roles.rotation);
    for (const id of [roles.lifecycle, roles.rotation]) {
      const role = t.toJSON().Resources[id].Properties;
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
      expect(role.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('no function has reserved concurrency (the ledger\'s lock serialises each group)', () => {
    const { template } = stackWithKey();
    for (const fn of Object.values(template().findResources('AWS::Lambda::Function'))) {
      expect((fn as any).Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('each function logs to its own log group kept for one year; log writing is granted on that group only', () => {
    const { template } = stackWithKey();
    const t = template();
    const logGroups = t.findResources('AWS::Logs::LogGroup');
    expect(Object.values(logGroups).map((g: any) => g.Properties.RetentionInDays)).toEqual([365, 365, 365]);
    const logGroupOf = (handler: string) => (Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }))[0] as any)
      .Properties.LoggingConfig.LogGroup.Ref;
    const groups = ['index.lifecycleHandler', 'index.rotationHandler', 'framework.onEvent'].map(logGroupOf);
    expect(new Set(groups).size).toBe(3);
    expect(groups.every((g) => g in logGroups)).toBe(true);
    const logStatements = Object.values(t.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Action).includes('logs:'));
    expect(logStatements.map((s: any) => [s.Action, s.Resource['Fn::GetAtt'][0]]).sort()).toEqual(groups.map((g) => [['logs:CreateLogStream', 'logs:PutLogEvents'], g]).sort());
  });
});

describe('the ledger', () => {
  test('one table: pk/sk strings, on demand, point-in-time recovery, deletion protection, AWS-managed encryption', () => {
    const { template } = stackWithKey();
    template().resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template().resourceCountIs('AWS::DynamoDB::Table', 0);
    template().hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [Match.objectLike({
        Region: 'us-east-1',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      })],
      // SSEType KMS without a key id: the AWS-managed key (aws/dynamodb).
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
    const [table] = Object.values(template().findResources('AWS::DynamoDB::GlobalTable')) as any[];
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table.Properties.Replicas[0].SSESpecification).toBeUndefined();
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  test('is retained when the stack is deleted or the table replaced', () => {
    const { template } = stackWithKey();
    template().hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('is exposed on every key of the stack', () => {
    const { key, template } = stackWithKey();
    expect(Stack.of(key).resolve(key.ledgerTable.tableName)).toEqual({ Ref: ledgerTableName(template().toJSON()) });
  });
});

describe('provider, dead-letter queue and alarm', () => {
  test('the custom resources use the provider framework function as service token, which calls the lifecycle function', () => {
    const { template } = stackWithKey();
    const t = template();
    const framework = Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'framework.onEvent' } })) as Array<[string, any]>;
    expect(framework).toHaveLength(1);
    template().hasResourceProperties('Custom::RotatingImportedKey', { ServiceToken: { 'Fn::GetAtt': [framework[0][0], 'Arn'] } });
    expect(framework[0][1].Properties.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN).toEqual({ 'Fn::GetAtt': [functionIds(t.toJSON()).lifecycle, 'Arn'] });
  });

  test('the dead-letter queue is SQS-encrypted, keeps messages 14 days and enforces TLS', () => {
    const { template } = stackWithKey();
    const t = template();
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('an alarm fires when a message is sent to the dead-letter queue in any 5 minutes (so each new failure alarms again)', () => {
    const { template } = stackWithKey();
    const queue = onlyLogicalId(template(), 'AWS::SQS::Queue');
    const alarms = template().findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } });
    expect(Object.values(alarms).map((a) => a.Properties)).toEqual([expect.objectContaining({
      MetricName: 'NumberOfMessagesSent',
      Namespace: 'AWS/SQS',
      Statistic: 'Sum',
      Period: 300,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    })]);
  });

  test('exposes the shared functions, queue and alarm', () => {
    const { key, template } = stackWithKey();
    const t = template();
    const resolve = (x: string) => Stack.of(key).resolve(x);
    const fns = functionIds(t.toJSON());
    expect(resolve(key.deadLetterQueue.queueArn)).toEqual({ 'Fn::GetAtt': [onlyLogicalId(t, 'AWS::SQS::Queue'), 'Arn'] });
    const deadLetterAlarm = Object.keys(t.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } }));
    expect(deadLetterAlarm).toHaveLength(1);
    expect(resolve(key.deadLetterAlarm.alarmArn)).toEqual({ 'Fn::GetAtt': [deadLetterAlarm[0], 'Arn'] });
    expect(resolve(key.rotationFunction.functionArn)).toEqual({ 'Fn::GetAtt': [fns.rotation, 'Arn'] });
    expect(resolve(key.lifecycleFunction.functionArn)).toEqual({ 'Fn::GetAtt': [fns.lifecycle, 'Arn'] });
  });
});
