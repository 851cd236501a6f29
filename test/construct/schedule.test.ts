import { TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { onlyLogicalId, stackWithKey, statementsOfRole } from './helpers';
import { customResourceProperties, functionArnOf, functionIds, scheduleOf } from './synthesized-policies';
import { RotatingImportedKey, RotationInterval } from '../../lib';

describe('the rotation schedule', () => {
  test('runs every 10 minutes from :00, in UTC by default', () => {
    const { template } = stackWithKey();
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0/10 * * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  test.each([
    [0, 'cron(0/10 * * * ? *)'],
    [7, 'cron(7/10 * * * ? *)'],
    [10, 'cron(0/10 * * * ? *)'],
    [45, 'cron(5/10 * * * ? *)'],
    [59, 'cron(9/10 * * * ? *)'],
  ])('scheduleMinute %d runs at %s', (scheduleMinute, expression) => {
    const { template } = stackWithKey({ scheduleMinute });
    expect(scheduleOf(template().toJSON()).expression).toBe(expression);
  });

  test('the hour does not change the expression; it goes to the function with the time zone', () => {
    const { template } = stackWithKey({ scheduleHour: 22, scheduleMinute: 45, scheduleTimeZone: TimeZone.EUROPE_BERLIN });
    const t = template().toJSON();
    expect(scheduleOf(t)).toMatchObject({ expression: 'cron(5/10 * * * ? *)', timeZone: 'Europe/Berlin' });
    expect(customResourceProperties(t)).toMatchObject({ ScheduleHour: '22', ScheduleTimeZone: 'Europe/Berlin' });
  });

  test('accepts the edges of the ranges and a time zone given by name', () => {
    const { template } = stackWithKey({ scheduleHour: 0, scheduleMinute: 59, scheduleTimeZone: TimeZone.of('America/Argentina/Buenos_Aires') });
    const t = template().toJSON();
    expect(scheduleOf(t)).toMatchObject({ expression: 'cron(9/10 * * * ? *)', timeZone: 'America/Argentina/Buenos_Aires' });
    expect(customResourceProperties(t)).toMatchObject({ ScheduleHour: '0', ScheduleTimeZone: 'America/Argentina/Buenos_Aires' });
  });

  test('invokes the rotation function with the rotate-if-due event of the group', () => {
    const { key, template } = stackWithKey({ groupId: 'telemetry' });
    const t = template().toJSON();
    expect(scheduleOf(t)).toMatchObject({
      input: { action: 'rotate-if-due', aliasName: 'alias/telemetry', groupId: 'telemetry' },
      targetArn: functionArnOf(functionIds(t).rotation),
    });
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Input: JSON.stringify({ action: 'rotate-if-due', aliasName: 'alias/telemetry', groupId: 'telemetry' }) }),
    });
    expect(key.schedule.scheduleArn).toBeDefined();
  });

  test('retries for a day and then dead-letters into the shared queue', () => {
    const { template } = stackWithKey();
    const queue = onlyLogicalId(template(), 'AWS::SQS::Queue');
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      }),
    });
  });

  test('is created after the key group exists', () => {
    const { template } = stackWithKey();
    const resource = onlyLogicalId(template(), 'Custom::RotatingImportedKey');
    template().hasResource('AWS::Scheduler::Schedule', { DependsOn: [resource] });
  });

  test('two schedules share one scheduler role that may only invoke the rotation function and send to the queue', () => {
    const { stack, template } = stackWithKey();
    new RotatingImportedKey(stack, 'Second', { aliasName: 'alias/second', rotationInterval: RotationInterval.months(3) });
    const t = template();
    const schedules = Object.values(t.findResources('AWS::Scheduler::Schedule')) as any[];
    // The two groups' and the stack's sweep.
    expect(schedules).toHaveLength(3);
    const roleArns = new Set(schedules.map((s) => JSON.stringify(s.Properties.Target.RoleArn)));
    expect(roleArns.size).toBe(1);
    const roleId = JSON.parse([...roleArns][0])['Fn::GetAtt'][0];
    expect(roleId).toMatch(/^RotatingImportedKeyRotationSchedulerRole/);
    const rotation = functionArnOf(functionIds(t.toJSON()).rotation);
    const queue = onlyLogicalId(t, 'AWS::SQS::Queue');
    expect(statementsOfRole(t, roleId)).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [rotation, `${rotation}:*`] },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:111122223333:${queue}` },
    ]);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
        }],
      },
    });
  });
});
