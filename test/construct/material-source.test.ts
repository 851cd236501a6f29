/**
 * The `material` prop: generated() changes nothing in the template;
 * fromFunction() adds the MaterialSource property and lambda:InvokeFunction
 * on exactly the provider function, for the two function roles only.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  customResourceProperties, functionRoles, identityStatementsOf, resolveIntrinsics, TEST_ACCOUNT, TEST_REGION,
} from './synthesized-policies';
import { KeyMaterialSource, RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';

const PROVIDER = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:hsm-provider`;

function synth(material?: (stack: Stack) => KeyMaterialSource, extra: Partial<RotatingImportedKeyProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
  const key = new RotatingImportedKey(stack, 'Key', {
    aliasName: 'alias/telemetry', groupId: 'telemetry-group', rotationInterval: RotationInterval.months(6), material: material?.(stack), ...extra,
  });
  key.grantRotateNow(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
  return { stack, template: Template.fromStack(stack).toJSON() };
}

/** Every identity statement of every role that allows lambda:InvokeFunction, by role. */
function invokeStatements(template: Record<string, any>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [id, r] of Object.entries<any>(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const found = identityStatementsOf(template, id).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('lambda:')));
    if (found.length > 0) out[id] = found.map((s) => ({ Action: s.Action, Resource: s.Resource }));
  }
  return out;
}

describe('material sources', () => {
  test('generated() is the default and leaves the template as it was: no property, no Lambda permission for the function roles', () => {
    const implicit = synth().template;
    const explicit = synth(() => KeyMaterialSource.generated()).template;
    expect(explicit).toEqual(implicit);
    expect(customResourceProperties(implicit).MaterialSource).toBeUndefined();
    const roles = functionRoles(implicit);
    expect(invokeStatements(implicit)[roles.lifecycle]).toBeUndefined();
    expect(invokeStatements(implicit)[roles.rotation]).toBeUndefined();
  });

  test('fromFunction(): the property names the function; both function roles may invoke exactly it, and no other role may', () => {
    const { template } = synth((s) => KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(s, 'Hsm', PROVIDER)));
    expect(JSON.parse(customResourceProperties(template).MaterialSource)).toEqual({ type: 'function', functionArn: PROVIDER });
    const roles = functionRoles(template);
    const byRole = invokeStatements(template);
    expect(byRole[roles.lifecycle]).toEqual([{ Action: 'lambda:InvokeFunction', Resource: PROVIDER }]);
    expect(byRole[roles.rotation]).toEqual([{ Action: 'lambda:InvokeFunction', Resource: PROVIDER }]);
    // The operator's grantRotateNow is about the rotation function, not the provider.
    const others = Object.entries(byRole).filter(([id]) => id !== roles.lifecycle && id !== roles.rotation);
    expect(JSON.stringify(others)).not.toContain('hsm-provider');
  });

  test('a provider function of the stack: its ARN is resolved at deploy time, in the property and the permission', () => {
    const { stack, template } = synth((s) => KeyMaterialSource.fromFunction(new lambda.Function(s, 'Provider', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    })));
    const logicalId = Object.keys(template.Resources).find((id) => id.startsWith('Provider') && template.Resources[id].Type === 'AWS::Lambda::Function')!;
    const arn = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${logicalId}`;
    expect(JSON.parse(customResourceProperties(template).MaterialSource).functionArn).toBe(arn);
    expect(invokeStatements(template)[functionRoles(template).rotation]).toEqual([{ Action: 'lambda:InvokeFunction', Resource: arn }]);
    expect(resolveIntrinsics(template, stack.resolve(stack.toJsonString({ a: 1 })))).toBe('{"a":1}');
  });

  test('two groups with two providers: each role may invoke both, in one statement', () => {
    const stack = new Stack(new App(), 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
    for (const [id, arn] of [['One', PROVIDER], ['Two', `${PROVIDER}-2`]]) {
      new RotatingImportedKey(stack, id, {
        aliasName: `alias/${id}`,
        groupId: `${id}-group`,
        rotationInterval: RotationInterval.months(6),
        material: KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(stack, `${id}Hsm`, arn)),
      });
    }
    const template = Template.fromStack(stack).toJSON();
    expect(invokeStatements(template)[functionRoles(template).rotation]).toEqual([{ Action: 'lambda:InvokeFunction', Resource: [PROVIDER, `${PROVIDER}-2`] }]);
  });

  test('a provider function in another Region is refused; one in another account is a warning', () => {
    expect(() => synth((s) => KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(s, 'Hsm', PROVIDER.replace(TEST_REGION, 'eu-west-1')))))
      .toThrow(/material: KeyMaterialSource.fromFunction\(\) needs a function in the stack's Region us-east-1; .*Hsm is in eu-west-1/);
    const { stack } = synth((s) => KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(s, 'Hsm', PROVIDER.replace(TEST_ACCOUNT, '444455556666'))));
    Annotations.fromStack(stack).hasWarning('/Platform/Key', Match.stringLikeRegexp('the provider function is in another account; its resource policy must allow'));
  });
});
