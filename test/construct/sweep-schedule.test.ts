/**
 * The stack's one sweep of Creates that died: a schedule of the shared
 * services (not one per key group) that sends `{"action":"sweep"}` to the
 * rotation function every hour, with the schedules' role and dead-letter queue.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { BASE_PROPS, newStack, stackWithKey } from './helpers';
import { functionRoles, scheduleOf, sweepScheduleOf } from './synthesized-policies';
import { RotatingImportedKey } from '../../lib';

describe('the sweep schedule', () => {
  test('one per stack, whatever the number of key groups, every hour, to the rotation function', () => {
    const stack = newStack();
    for (const name of ['a', 'b', 'c']) new RotatingImportedKey(stack, name.toUpperCase(), { ...BASE_PROPS, aliasName: `alias/${name}`, groupId: `group-${name}` });
    const t = Template.fromStack(stack).toJSON();
    const id = sweepScheduleOf(t);
    const sweep = scheduleOf(t, id);
    expect(sweep.input).toEqual({ action: 'sweep' });
    expect(sweep.expression).toBe('rate(1 hour)');
    const schedules = Object.values(t.Resources).filter((r: any) => r.Type === 'AWS::Scheduler::Schedule') as any[];
    expect(schedules).toHaveLength(3 + 1);
    const props = t.Resources[id].Properties;
    const rotationFunction = Object.keys(t.Resources).find((x) => t.Resources[x].Type === 'AWS::Lambda::Function' && t.Resources[x].Properties.Handler === 'index.rotationHandler');
    expect(props.Target.Arn).toEqual({ 'Fn::GetAtt': [rotationFunction, 'Arn'] });
    expect(props.Target.RoleArn).toEqual({ 'Fn::GetAtt': [functionRoles(t).scheduler, 'Arn'] });
    expect(props.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/^RotatingImportedKeyRotationDeadLetterQueue/);
  });

  test('a key group\'s own schedule is still found as the only one besides the sweep', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    expect(scheduleOf(template().toJSON()).input).toMatchObject({ action: 'rotate-if-due', groupId: 'telemetry' });
  });
});
