import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as alarms from '../../examples/alarms';
import * as basic from '../../examples/basic';
import * as crossStack from '../../examples/cross-stack-consumers';
import * as emergency from '../../examples/emergency-rotation';
import * as twoGroups from '../../examples/two-groups-one-stack';

// Each app in examples/ synthesizes, with no error and no warning.

function synthesized(build: (app: App) => Stack | Stack[]): Template[] {
  const app = new App();
  const stacks = [build(app)].flat();
  for (const stack of stacks) {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  }
  return stacks.map((s) => Template.fromStack(s));
}

test('basic: one key group, a bucket, a queue and a role', () => {
  const [t] = synthesized(basic.build);
  t.resourceCountIs('Custom::RotatingImportedKey', 1);
  t.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'AliasArn'] } });
});

test('two groups in one stack share one set of functions and the log key', () => {
  const [t] = synthesized(twoGroups.build);
  t.resourceCountIs('Custom::RotatingImportedKey', 2);
  // One per group, and the stack's sweep.
  t.resourceCountIs('AWS::Scheduler::Schedule', 3);
  t.resourceCountIs('AWS::Lambda::Function', 3);
  t.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogKey'), 'Arn'] } });
});

test('cross-stack consumers import the alias ARN', () => {
  const [keys, consumers] = synthesized(crossStack.build);
  keys.resourceCountIs('Custom::RotatingImportedKey', 1);
  consumers.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::ImportValue': Match.anyValue() } });
  consumers.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::ImportValue': Match.anyValue() } });
});

test('emergency rotation: the on-call role may invoke the rotation function, and the outputs name it', () => {
  const [t] = synthesized(emergency.build);
  t.hasOutput('RotationFunctionName', {});
  t.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^OnCall') }],
    PolicyDocument: { Statement: [Match.objectLike({ Action: 'lambda:InvokeFunction' })] },
  });
});

test('alarms: the dead-letter alarm pages the topic and is on a dashboard', () => {
  const [t] = synthesized(alarms.build);
  t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:platform-pager'] });
  t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
});
