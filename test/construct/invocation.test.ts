import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { actionsOf, resourcesOf, roleIdOf, stackWithKey } from './helpers';
import { functionArnOf, functionIds, identityStatementsOf } from './synthesized-policies';

// Who may invoke which function: read from every identity policy and resource policy of the stack.

/** The functions each role may invoke, as resolved ARNs. */
function invokableBy(stack: Stack): Record<string, string[]> {
  const template = Template.fromStack(stack).toJSON();
  const result: Record<string, string[]> = {};
  for (const role of Object.keys(template.Resources).filter((id) => template.Resources[id].Type === 'AWS::IAM::Role')) {
    const resources = identityStatementsOf(template, role)
      .filter((s) => actionsOf(s).some((a) => /^(lambda:InvokeFunction|lambda:Invoke\*|lambda:\*|\*)$/.test(a)))
      .flatMap(resourcesOf);
    if (resources.length > 0) result[role] = resources;
  }
  return result;
}

function setup() {
  const { stack, key, template } = stackWithKey();
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  const grant = key.grantRotateNow(operator);
  const t = template();
  const fns = functionIds(t.toJSON());
  const framework = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'framework.onEvent' } }))[0];
  const frameworkRole = (t.toJSON().Resources[framework].Properties.Role as any)['Fn::GetAtt'][0];
  const arnsOf = (id: string) => [functionArnOf(id), `${functionArnOf(id)}:*`];
  return { stack, grant, t, fns, frameworkRole, arnsOf };
}

describe('who may invoke what', () => {
  test('only the provider framework may invoke the lifecycle function; only the schedules and grantRotateNow the rotation function', () => {
    const { stack, t, fns, frameworkRole, arnsOf } = setup();
    expect(invokableBy(stack)).toEqual({
      [frameworkRole]: arnsOf(fns.lifecycle),
      [roleIdOf(t, 'RotatingImportedKeyRotationSchedulerRole')]: arnsOf(fns.rotation),
      [roleIdOf(t, 'Operator')]: arnsOf(fns.rotation),
    });
  });

  test('no function has a resource policy (nothing outside the identity policies may invoke)', () => {
    const { t } = setup();
    t.resourceCountIs('AWS::Lambda::Permission', 0);
    t.resourceCountIs('AWS::Lambda::Url', 0);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  test('the schedule targets the rotation function', () => {
    const { t, fns } = setup();
    t.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { Arn: { 'Fn::GetAtt': [fns.rotation, 'Arn'] } } });
  });

  test('grantRotateNow grants lambda:InvokeFunction on the rotation function only, and returns the grant', () => {
    const { t, fns, grant, arnsOf } = setup();
    expect(grant.success).toBe(true);
    expect(identityStatementsOf(t.toJSON(), roleIdOf(t, 'Operator'))).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arnsOf(fns.rotation) },
    ]);
  });

  test('grantRotateNow to a service principal adds a resource policy on the rotation function only', () => {
    const { stack, key, template } = stackWithKey();
    key.grantRotateNow(new iam.ServicePrincipal('events.amazonaws.com'));
    const t = template();
    t.resourceCountIs('AWS::Lambda::Permission', 1);
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionIds(t.toJSON()).rotation, 'Arn'] },
    });
    expect(stack).toBeDefined();
  });
});
