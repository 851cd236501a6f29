import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { BASE_PROPS, newStack, onlyLogicalId, stackWithKey } from './helpers';
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

describe('resources shared by the key groups of a stack', () => {
  test('two keys share one function, provider, role, log groups, queue, alarm and scheduler role', () => {
    const template = Template.fromStack(stackWithKeys(2));
    // the rotation function and the provider framework function
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::IAM::Role', 3);
    template.resourceCountIs('AWS::IAM::Policy', 3);
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.resourceCountIs('Custom::RotatingImportedKey', 2);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
  });

  test('each extra key group adds at most 3 resources (a custom resource and a schedule)', () => {
    const one = countResources(Template.fromStack(stackWithKeys(1)));
    const two = countResources(Template.fromStack(stackWithKeys(2)));
    const five = countResources(Template.fromStack(stackWithKeys(5)));
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const perGroup = total(two) - total(one);
    expect(perGroup).toBeLessThanOrEqual(3);
    expect(perGroup).toBe(2);
    expect(total(five) - total(one)).toBe(4 * perGroup);
    const added = Object.fromEntries(Object.entries(two).filter(([type, n]) => n !== one[type]));
    expect(added).toEqual({ 'Custom::RotatingImportedKey': 2, 'AWS::Scheduler::Schedule': 2 });
  });

  test('the singleton is a direct child of the stack, also for keys in nested constructs', () => {
    const stack = newStack();
    const nested = new Construct(stack, 'Team');
    const a = new RotatingImportedKey(nested, 'A', { ...BASE_PROPS, aliasName: 'alias/a' });
    const b = new RotatingImportedKey(stack, 'B', { ...BASE_PROPS, aliasName: 'alias/b' });
    expect(a.rotationFunction).toBe(b.rotationFunction);
    expect(a.deadLetterQueue).toBe(b.deadLetterQueue);
    expect(stack.node.tryFindChild('RotatingImportedKeyRotation')).toBeDefined();
  });

  test('keys in different stacks get their own rotation function', () => {
    const stack1 = newStack();
    const stack2 = new Stack(stack1.node.root, 'Other');
    const a = new RotatingImportedKey(stack1, 'A', BASE_PROPS);
    const b = new RotatingImportedKey(stack2, 'B', BASE_PROPS);
    expect(a.rotationFunction).not.toBe(b.rotationFunction);
    Template.fromStack(stack2).resourceCountIs('AWS::Lambda::Function', 2);
  });
});

describe('the rotation function', () => {
  test('is pinned: nodejs22.x on arm64, 256 MB, 5 minutes, index.handler', () => {
    const { template } = stackWithKey();
    template().hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 300,
      Handler: 'index.handler',
    });
  });

  test('has only the Powertools service name in its environment', () => {
    const { template } = stackWithKey();
    const fn = template().findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } });
    const [props] = Object.values(fn).map((r: any) => r.Properties);
    expect(props.Environment).toEqual({ Variables: { POWERTOOLS_SERVICE_NAME: 'rotating-imported-key' } });
  });

  test('has no reserved concurrency (groups are serialised by the generation alias claim)', () => {
    const { template } = stackWithKey();
    const functions = template().findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      expect((fn as any).Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('logs to its own log group kept for one year', () => {
    const { template } = stackWithKey();
    const t = template();
    const logGroups = t.findResources('AWS::Logs::LogGroup');
    expect(Object.values(logGroups).map((g: any) => g.Properties.RetentionInDays)).toEqual([365, 365]);
    const fnLogGroup = Object.keys(logGroups).find((id) => id.startsWith('RotatingImportedKeyRotationLogGroup'))!;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: fnLogGroup } },
    });
    const providerLogGroup = Object.keys(logGroups).find((id) => id.startsWith('RotatingImportedKeyRotationProviderLogGroup'))!;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: providerLogGroup } }),
    });
  });

  test('sends failed asynchronous runs to the dead-letter queue', () => {
    const { template } = stackWithKey();
    const queue = onlyLogicalId(template(), 'AWS::SQS::Queue');
    template().hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
    });
  });

  test('no role uses a managed policy; log writing is granted on the own log group only', () => {
    const { template } = stackWithKey();
    const roles = template().findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) {
      expect((role as any).Properties.ManagedPolicyArns).toBeUndefined();
    }
    const policies = template().findResources('AWS::IAM::Policy');
    const logStatements = Object.values(policies)
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Action).includes('logs:'));
    expect(logStatements).toHaveLength(2);
    for (const s of logStatements) {
      expect(s.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(s.Resource['Fn::GetAtt'][0]).toMatch(/LogGroup/);
    }
  });

  test('the function role is assumed by Lambda only', () => {
    const { template } = stackWithKey();
    const roles = template().findResources('AWS::IAM::Role');
    const roleId = Object.keys(roles).find((id) => id.startsWith('RotatingImportedKeyRotationRole'))!;
    expect((roles[roleId] as any).Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
  });
});

describe('provider, dead-letter queue and alarm', () => {
  test('the custom resources use the provider framework function as service token', () => {
    const { template } = stackWithKey();
    const framework = Object.keys(template().findResources('AWS::Lambda::Function', { Properties: { Handler: 'framework.onEvent' } }));
    expect(framework).toHaveLength(1);
    template().hasResourceProperties('Custom::RotatingImportedKey', {
      ServiceToken: { 'Fn::GetAtt': [framework[0], 'Arn'] },
    });
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

  test('an alarm fires when one message is visible in the dead-letter queue', () => {
    const { template } = stackWithKey();
    const queue = onlyLogicalId(template(), 'AWS::SQS::Queue');
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('exposes the shared function, queue and alarm', () => {
    const { key, template } = stackWithKey();
    const t = template();
    expect(Stack.of(key).resolve(key.deadLetterQueue.queueArn)).toEqual({ 'Fn::GetAtt': [onlyLogicalId(t, 'AWS::SQS::Queue'), 'Arn'] });
    expect(Stack.of(key).resolve(key.deadLetterAlarm.alarmArn)).toEqual({ 'Fn::GetAtt': [onlyLogicalId(t, 'AWS::CloudWatch::Alarm'), 'Arn'] });
    const fnId = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))[0];
    expect(Stack.of(key).resolve(key.rotationFunction.functionArn)).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
  });
});
