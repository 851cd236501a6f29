// Being told when a rotation fails: every alarm of the key group (rotation
// failed, overdue, tampering; material expiring too when material expires) and the stack's dead-letter
// alarm page the platform team's existing topic, and show on a dashboard with
// the group's gauges.
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export function build(app: App): Stack {
  const stack = new Stack(app, 'AlarmsExample', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pager = sns.Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:111122223333:platform-pager');
  const page = new cloudwatchActions.SnsAction(pager);
  const key = new RotatingImportedKey(stack, 'AuditKey', {
    aliasName: 'alias/example/audit',
    rotationInterval: RotationInterval.months(6),
    alarmActions: [page],
    // The dead-letter alarm is shared by the stack's key groups: the first one sets its actions.
    deadLetterAlarmActions: [page],
  });
  // More actions on one alarm: addAlarmAction() works on each of them.
  key.rotationOverdueAlarm.addAlarmAction(new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(stack, 'Compliance', 'arn:aws:sns:eu-west-1:111122223333:compliance')));
  new cloudwatch.Dashboard(stack, 'Rotation', {
    widgets: [
      [
        new cloudwatch.AlarmWidget({ alarm: key.deadLetterAlarm, title: 'Failed key rotations (dead letters)' }),
        new cloudwatch.AlarmWidget({ alarm: key.rotationFailedAlarm, title: 'Failed rotation runs' }),
        new cloudwatch.AlarmWidget({ alarm: key.rotationOverdueAlarm, title: 'Rotation overdue' }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Days until due / since activation',
          left: [key.metricDaysUntilDue({ period: Duration.hours(1) }), key.metricDaysSinceActivation({ period: Duration.hours(1) })],
        }),
        new cloudwatch.SingleValueWidget({ title: 'Retained generations', metrics: [key.metricRetainedGenerations({ period: Duration.hours(1) })] }),
      ],
    ],
  });
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
