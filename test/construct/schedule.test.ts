import { TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { onlyLogicalId, stackWithKey, statementsOf } from './helpers';
import { RotatingImportedKey, RotationInterval } from '../../lib';

describe('the daily rotation schedule', () => {
  test('runs at 03:00 UTC by default', () => {
    const { template } = stackWithKey();
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  test('uses the configured hour, minute and time zone', () => {
    const { template } = stackWithKey({ scheduleHour: 22, scheduleMinute: 45, scheduleTimeZone: TimeZone.EUROPE_BERLIN });
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(45 22 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  test('accepts the edges of the ranges and a time zone given by name', () => {
    const { template } = stackWithKey({ scheduleHour: 0, scheduleMinute: 59, scheduleTimeZone: TimeZone.of('America/Argentina/Buenos_Aires') });
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(59 0 * * ? *)',
      ScheduleExpressionTimezone: 'America/Argentina/Buenos_Aires',
    });
  });

  test('invokes the rotation function with the rotate-if-due event of the group', () => {
    const { key, template } = stackWithKey({ groupId: 'telemetry' });
    const fn = Object.keys(template().findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))[0];
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
        Input: JSON.stringify({ action: 'rotate-if-due', aliasName: 'alias/telemetry', groupId: 'telemetry' }),
      }),
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

  test('two schedules share one scheduler role that may only invoke the function and send to the queue', () => {
    const { stack, template } = stackWithKey();
    new RotatingImportedKey(stack, 'Second', { aliasName: 'alias/second', rotationInterval: RotationInterval.months(3) });
    const t = template();
    const schedules = Object.values(t.findResources('AWS::Scheduler::Schedule')) as any[];
    expect(schedules).toHaveLength(2);
    const roleArns = new Set(schedules.map((s) => JSON.stringify(s.Properties.Target.RoleArn)));
    expect(roleArns.size).toBe(1);
    const roleId = JSON.parse([...roleArns][0])['Fn::GetAtt'][0];
    expect(roleId).toMatch(/^RotatingImportedKeyRotationSchedulerRole/);
    const statements = statementsOf(t, 'RotatingImportedKeyRotationSchedulerRoleDefaultPolicy');
    expect(statements.map((s) => s.Action).sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
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
