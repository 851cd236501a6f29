// Being told when a rotation fails: the dead-letter alarm (a scheduled run
// could not be delivered, or a run failed) pages the platform team's existing
// topic, and shows on a dashboard.
import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export function build(app: App): Stack {
  const stack = new Stack(app, 'AlarmsExample', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pager = sns.Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:111122223333:platform-pager');
  const key = new RotatingImportedKey(stack, 'AuditKey', {
    aliasName: 'alias/example/audit',
    rotationInterval: RotationInterval.months(6),
    // The alarm is shared by the stack's key groups: the first one sets its actions.
    deadLetterAlarmActions: [new cloudwatchActions.SnsAction(pager)],
  });
  new cloudwatch.Dashboard(stack, 'Rotation', {
    widgets: [[new cloudwatch.AlarmWidget({ alarm: key.deadLetterAlarm, title: 'Failed key rotations' })]],
  });
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
