import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { CDK_JSON_CONTEXT } from './every-option-stack';
import { BASE_PROPS, expiringProvidedMaterial, newStack, stackWithKey } from './helpers';
import { ExampleStack } from '../../example/example-stack';
import { materialExpiryWarningDays as functionWarningDays, reimportLeadDays as functionLeadDays } from '../../lambda/rotation/reimport';
import * as lambdaEvent from '../../lambda/rotation/rotation-event';
import * as lambdaTelemetry from '../../lambda/rotation/telemetry';
import { RotatingImportedKey } from '../../lib';
import * as contract from '../../lib/private/event-contract';
import { materialExpiryWarningDays, reimportLeadDays } from '../../lib/private/material-expiry';

const PAGER_ARN = 'arn:aws:sns:us-east-1:111122223333:pager';

function groupAlarm(template: Template, metricName: string): Record<string, any> {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } }));
  if (found.length !== 1) throw new Error(`expected one alarm on ${metricName}, found ${found.length}`);
  return found[0].Properties;
}

describe('alarms of a key group', () => {
  const { stack, key, template } = stackWithKey((s) => ({ groupId: 'telemetry', ...expiringProvidedMaterial(s, 90) }));
  const t = template();
  const dimensions = [{ Name: 'KeyGroup', Value: 'telemetry' }];

  test('rotation failed: any failed run in 10 minutes, missing data not breaching', () => {
    expect(groupAlarm(t, 'RotationFailed')).toMatchObject({
      Namespace: 'RotatingImportedKey',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('overdue: days until due below -1 in 3 hours running, missing data breaching (a function that stops reporting pages)', () => {
    expect(groupAlarm(t, 'DaysUntilDue')).toMatchObject({
      Namespace: 'RotatingImportedKey',
      Dimensions: dimensions,
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: -1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
  });

  test('material expiring: the earliest expiry within 30 days, hourly', () => {
    expect(groupAlarm(t, 'DaysUntilMaterialExpiry')).toMatchObject({
      Namespace: 'RotatingImportedKey',
      Dimensions: dimensions,
      Statistic: 'Minimum',
      Period: 3600,
      Threshold: 30,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('tampering detected: any report in 10 minutes', () => {
    expect(groupAlarm(t, 'TamperingDetected')).toMatchObject({
      Namespace: 'RotatingImportedKey',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('the alarms are the construct\'s properties', () => {
    const arnOf = (alarm: cloudwatch.Alarm) => stack.resolve(alarm.alarmArn)['Fn::GetAtt'][0];
    const ids = Object.keys(t.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'RotatingImportedKey' } })).sort();
    const exposed = [key.rotationFailedAlarm, key.rotationOverdueAlarm, key.materialExpiringAlarm!, key.tamperingDetectedAlarm];
    expect(exposed.map(arnOf).sort()).toEqual(ids);
  });

  test('no material-expiring alarm when material never expires', () => {
    const plain = stackWithKey();
    expect(plain.key.materialExpiringAlarm).toBeUndefined();
    expect(plain.template().findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'DaysUntilMaterialExpiry' } })).toEqual({});
  });

  test.each([[14, 4], [30, 10], [89, 29], [90, 30], [365, 30]])('material expiring: %d days of validity warn %d days ahead (the function re-imports twice as early)', (days, warning) => {
    const short = stackWithKey((st) => expiringProvidedMaterial(st, days));
    expect(groupAlarm(short.template(), 'DaysUntilMaterialExpiry').Threshold).toBe(warning);
    expect(reimportLeadDays(days)).toBe(2 * warning);
  });

  test('the construct and the rotation function compute the same warning and re-import lead for every validity KMS accepts', () => {
    for (let days = 1; days <= 365; days++) {
      expect([materialExpiryWarningDays(days), reimportLeadDays(days)]).toEqual([functionWarningDays(days), functionLeadDays(days)]);
    }
  });
});

describe('alarm actions', () => {
  test('alarmActions go to every alarm of the group, deadLetterAlarmActions to the shared one; addAlarmAction adds more', () => {
    const stack = newStack();
    const pager = sns.Topic.fromTopicArn(stack, 'Pager', PAGER_ARN);
    const key = new RotatingImportedKey(stack, 'Key', {
      ...BASE_PROPS, ...expiringProvidedMaterial(stack, 90), alarmActions: [new cloudwatchActions.SnsAction(pager)],
    });
    const other = sns.Topic.fromTopicArn(stack, 'Other', 'arn:aws:sns:us-east-1:111122223333:other');
    key.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(other));
    key.rotationOverdueAlarm.addAlarmAction(new cloudwatchActions.SnsAction(other));
    const t = Template.fromStack(stack);
    const actions = (namespace: string) => Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: namespace } }))
      .map((a) => [a.Properties.MetricName, a.Properties.AlarmActions]);
    expect(actions('RotatingImportedKey').sort()).toEqual([
      ['DaysUntilDue', [PAGER_ARN, 'arn:aws:sns:us-east-1:111122223333:other']],
      ['DaysUntilMaterialExpiry', [PAGER_ARN]],
      ['RotationFailed', [PAGER_ARN]],
      ['TamperingDetected', [PAGER_ARN]],
    ]);
    expect(actions('AWS/SQS')).toEqual([['NumberOfMessagesSent', ['arn:aws:sns:us-east-1:111122223333:other']]]);
  });

  test('without alarmActions, each alarm of the group is reported by NIST and HIPAA (and the library acknowledges exactly those)', () => {
    const build = () => {
      const stack = newStack();
      new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, deadLetterAlarmActions: [new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(stack, 'P', PAGER_ARN))] });
      return stack;
    };
    const alarmFindings = (stack: ReturnType<typeof newStack>) => [NIST80053R5Checks, HIPAASecurityChecks]
      .flatMap((Pack) => new Pack(stack.node.root as any).validateScope(stack).violations)
      .filter((v) => v.ruleName.endsWith('CloudWatchAlarmAction'))
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
      .sort();
    expect(alarmFindings(build())).toEqual([]);
    const original = Validations.prototype.acknowledge;
    Validations.prototype.acknowledge = function () {};
    try {
      expect(alarmFindings(build())).toEqual(['HIPAA.Security', 'NIST.800.53.R5'].flatMap((pack) =>
        ['RotationFailedAlarm', 'RotationOverdueAlarm', 'TamperingDetectedAlarm'].map((id) => `${pack}-CloudWatchAlarmAction TestStack/Key/${id}/Resource`)).sort());
    } finally {
      Validations.prototype.acknowledge = original;
    }
  });
});

describe('metrics of a key group', () => {
  const { key, stack } = stackWithKey({ groupId: 'telemetry' });
  const resolved = (m: cloudwatch.Metric) => stack.resolve(m.toMetricConfig().metricStat);

  test.each([
    ['metricRotationSucceeded', 'RotationSucceeded', 'Sum'],
    ['metricRotationFailed', 'RotationFailed', 'Sum'],
    ['metricTamperingDetected', 'TamperingDetected', 'Sum'],
    ['metricDaysSinceActivation', 'DaysSinceActivation', 'Maximum'],
    ['metricDaysUntilDue', 'DaysUntilDue', 'Minimum'],
    ['metricDaysUntilMaterialExpiry', 'DaysUntilMaterialExpiry', 'Minimum'],
    ['metricRetainedGenerations', 'RetainedGenerations', 'Maximum'],
  ] as const)('%s: %s in the namespace, by group, %s over 10 minutes by default', (method, name, statistic) => {
    expect(resolved(key[method]())).toMatchObject({
      namespace: 'RotatingImportedKey', metricName: name, dimensions: [{ name: 'KeyGroup', value: 'telemetry' }], statistic, period: Duration.minutes(10),
    });
    expect(resolved(key[method]({ period: Duration.hours(6), statistic: 'Average' }))).toMatchObject({ period: Duration.hours(6), statistic: 'Average' });
  });

  test('the construct names the metrics and the event as the function writes them', () => {
    expect(contract.METRIC_NAMESPACE).toBe(lambdaTelemetry.METRIC_NAMESPACE);
    expect(contract.GROUP_DIMENSION).toBe(lambdaTelemetry.GROUP_DIMENSION);
    expect(contract.METRIC).toEqual(lambdaTelemetry.METRIC);
    expect(RotatingImportedKey.EVENT_SOURCE).toBe(lambdaEvent.EVENT_SOURCE);
    expect(RotatingImportedKey.EVENT_DETAIL_TYPE).toBe(lambdaEvent.EVENT_DETAIL_TYPE);
    expect(RotatingImportedKey.METRIC_NAMESPACE).toBe(lambdaTelemetry.METRIC_NAMESPACE);
  });
});

describe('onRotated', () => {
  test('a rule on the stack\'s rotation event bus for this group\'s rotation events, with the given target', () => {
    const { stack, key, template } = stackWithKey({ groupId: 'telemetry' });
    const queue = new sqs.Queue(stack, 'Jobs');
    key.onRotated('ReEncrypt', { target: new targets.SqsQueue(queue) });
    template().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['cdk-rotating-imported-key'], 'detail-type': ['Imported Key Rotated'], 'detail': { group: ['telemetry'] } },
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue), 'Arn'] } })],
    });
    const busId = stack.getLogicalId(key.rotationEventBus.node.defaultChild as events.CfnEventBus);
    expect(template().toJSON().Resources[Object.keys(template().findResources('AWS::Events::Rule'))[0]].Properties.EventBusName).toEqual({ Ref: busId });
  });

  test('the example app starts its re-encryption job from it, with a dead-letter queue for failed deliveries', () => {
    const stack = new ExampleStack(new App({ context: CDK_JSON_CONTEXT }), 'RotatingImportedKeyExample');
    const t = Template.fromStack(stack);
    const id = (c: sqs.Queue) => stack.getLogicalId(c.node.defaultChild as sqs.CfnQueue);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: stack.getLogicalId(stack.key.rotationEventBus.node.defaultChild as events.CfnEventBus) },
      EventPattern: { 'source': ['cdk-rotating-imported-key'], 'detail-type': ['Imported Key Rotated'], 'detail': { group: [stack.key.groupId] } },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [id(stack.reEncryptionQueue), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReEncryptionDeadLetters'), 'Arn'] } },
      })],
    });
    // Every alarm of the example pages the pager topic.
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(4);
    for (const a of alarms) expect(JSON.stringify(a.Properties.AlarmActions)).toContain(':sns:');
  });
});

describe('logRetention', () => {
  const retentionOf = (t: Template) => Object.values(t.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.RetentionInDays);

  test('one year by default, for the three log groups', () => {
    expect(retentionOf(stackWithKey().template())).toEqual([365, 365, 365]);
  });

  test('the first key group decides; later groups pass the same or none, and a different value names both', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'First', { ...BASE_PROPS, logRetention: logs.RetentionDays.TEN_YEARS });
    new RotatingImportedKey(stack, 'Same', { ...BASE_PROPS, aliasName: 'alias/same', logRetention: logs.RetentionDays.TEN_YEARS });
    new RotatingImportedKey(stack, 'None', { ...BASE_PROPS, aliasName: 'alias/none' });
    expect(() => new RotatingImportedKey(stack, 'Other', { ...BASE_PROPS, aliasName: 'alias/other', logRetention: logs.RetentionDays.ONE_MONTH }))
      .toThrow(/logRetention must be the same for every key group of a stack \(the log groups are shared\) or omitted; received RetentionDays.ONE_MONTH, but the first key group, TestStack\/First, has RetentionDays.TEN_YEARS: set it there/);
    expect(retentionOf(Template.fromStack(stack))).toEqual([3653, 3653, 3653]);
  });

  test('a later value differing from the default the first group took says so', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'First', BASE_PROPS);
    expect(() => new RotatingImportedKey(stack, 'Other', { ...BASE_PROPS, aliasName: 'alias/other', logRetention: logs.RetentionDays.TWO_YEARS }))
      .toThrow(/has RetentionDays.ONE_YEAR \(the default\)/);
  });

  test('the log groups are exposed', () => {
    const { stack, key, template } = stackWithKey();
    const ids = Object.keys(template().findResources('AWS::Logs::LogGroup'));
    expect(ids).toContain(stack.resolve(key.rotationLogGroup.logGroupName).Ref);
    expect(ids).toContain(stack.resolve(key.lifecycleLogGroup.logGroupName).Ref);
    expect(stack.resolve(key.rotationLogGroup.logGroupName)).not.toEqual(stack.resolve(key.lifecycleLogGroup.logGroupName));
  });
});
