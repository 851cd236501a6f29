import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { actionsOf, KEY_ARNS, newStack, resourcesOf, stackWithKey, Statement } from './helpers';
import { functionRoles, identityPoliciesOf, identityStatementsOf, TEST_STACK_ID } from './synthesized-policies';
import { RotatingImportedKey, RotationInterval } from '../../lib';

// Properties that hold for every identity policy of the stack, whatever role it is on.

/** The template without the policy resources of the other type (inline and managed policies count against different IAM quotas). */
function onlyPoliciesOfType(template: any, type: string): any {
  const policyTypes = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'];
  const kept = Object.entries(template.Resources).filter(([, r]: [string, any]) => !policyTypes.includes(r.Type) || r.Type === type);
  return { ...template, Resources: Object.fromEntries(kept) };
}

function everyStatement(stack: Stack): Array<{ role: string; statement: Statement }> {
  const template = Template.fromStack(stack).toJSON();
  return Object.keys(template.Resources)
    .filter((id) => template.Resources[id].Type === 'AWS::IAM::Role')
    .flatMap((role) => identityStatementsOf(template, role).map((statement) => ({ role, statement })));
}

function withGrantees(removalPolicy: RemovalPolicy): Stack {
  const { stack, key } = stackWithKey({ removalPolicy });
  const app = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  key.grantEncryptDecrypt(app);
  key.grantRotateNow(app);
  return stack;
}

describe('bounds on every role of the stack', () => {
  test('no statement allows kms:*, iam:* or *, or denies anything', () => {
    const statements = everyStatement(withGrantees(RemovalPolicy.DESTROY));
    expect(statements.length).toBeGreaterThan(30);
    for (const { statement } of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of actionsOf(statement)) {
        expect(action).not.toBe('*');
        expect(action).not.toBe('kms:*');
        expect(action.startsWith('iam:')).toBe(false);
      }
    }
  });

  test('every statement on key/* requires the group tag (of the resource, or of the request), the stack tag or a user alias', () => {
    for (const { statement } of everyStatement(withGrantees(RemovalPolicy.DESTROY))) {
      if (!resourcesOf(statement).includes(KEY_ARNS)) continue;
      const tag = statement.Condition?.StringEquals?.['aws:ResourceTag/rotation:group'];
      // A replaced group's keys (a groupId the template no longer names) are reached by the stack tag, which only CreateKey writes.
      const stack = statement.Condition?.StringEquals?.['aws:ResourceTag/rotation:stack'];
      const resourceAliases = statement.Condition?.['ForAnyValue:StringEquals']?.['kms:ResourceAliases'];
      // The kms:ResourceAliases grant scopes by the alias instead (the alias is written only by the group's functions).
      expect(tag ?? stack ?? resourceAliases).toBeDefined();
      if (stack !== undefined) expect(stack).toBe(TEST_STACK_ID);
      expect(resourcesOf(statement)).toEqual([KEY_ARNS]);
    }
  });

  test('KMS statements on * are CreateKey, the TagResource it implies, and the discovery calls only', () => {
    const onStar = everyStatement(withGrantees(RemovalPolicy.DESTROY))
      .filter(({ statement }) => resourcesOf(statement).includes('*'));
    for (const { statement } of onStar) {
      const actions = actionsOf(statement);
      expect(['kms:CreateKey', 'kms:TagResource', 'kms:ListAliases', 'tag:GetResources']).toEqual(expect.arrayContaining(actions));
      if (actions.some((a) => a === 'kms:CreateKey' || a === 'kms:TagResource')) {
        expect(statement.Condition?.StringEquals?.['aws:RequestTag/rotation:group']).toBeDefined();
      }
    }
  });

  test('with RETAIN only the two function roles may schedule deletion (a failed or dead Create): of a pending key no user alias points at, with 7 days', () => {
    const stack = withGrantees(RemovalPolicy.RETAIN);
    new RotatingImportedKey(stack, 'Second', { aliasName: 'alias/second', rotationInterval: RotationInterval.months(3) });
    const deletions = everyStatement(stack).filter(({ statement }) => actionsOf(statement).some((a) => /^kms:(\*|Schedule\*|ScheduleKeyDeletion)$/.test(a)));
    const roles = functionRoles(Template.fromStack(stack).toJSON());
    // The lifecycle role twice: its own groups' failed Create, and a rolled-back replacement's removed group (stack tag).
    expect(deletions.map((x) => x.role).sort()).toEqual([roles.lifecycle, roles.lifecycle, roles.rotation].sort());
    for (const { statement } of deletions) {
      expect(statement.Condition?.StringEquals?.['aws:ResourceTag/rotation:stage']).toBe('pending');
      expect(statement.Condition?.NumericEquals).toEqual({ 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' });
      expect(statement.Condition?.['ForAllValues:StringLike']).toEqual({ 'kms:ResourceAliases': ['alias/rotation/*'] });
    }
  });

  test('the key policy of the generations names no function role (only the user\'s statements are passed)', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'Key', {
      aliasName: 'alias/k',
      rotationInterval: RotationInterval.months(1),
      policyStatements: [new iam.PolicyStatement({ principals: [new iam.AccountRootPrincipal()], actions: ['kms:DescribeKey'], resources: ['*'] })],
    });
    const [resource] = Object.values(Template.fromStack(stack).findResources('Custom::RotatingImportedKey')) as any[];
    expect(JSON.stringify(resource.Properties.KeyPolicyStatements)).not.toMatch(/:role\/|Role[0-9A-F]{8}/);
  });

  test.each(['lifecycle', 'rotation'] as const)('the %s role\'s policies for 10 key groups stay below IAM\'s 10,240 characters of inline policy per role', (role) => {
    const stack = newStack();
    for (let i = 0; i < 10; i++) {
      new RotatingImportedKey(stack, `Key${i}`, {
        aliasName: `alias/service-${i}/data`,
        rotationInterval: RotationInterval.months(1 + i),
        removalPolicy: i % 2 === 0 ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
    }
    const template = Template.fromStack(stack).toJSON();
    // Resolved, so ARNs have their deployed length; deployed names (log group, table) add a few dozen characters.
    const roleId = functionRoles(template)[role];
    const size = (type: string) => JSON.stringify(identityPoliciesOf(onlyPoliciesOfType(template, type), roleId)).length;
    expect(size('AWS::IAM::Policy')).toBeLessThan(10_240 - 500);
    // The replaced groups' statements are in a managed policy of the role: IAM caps one at 6,144 characters.
    expect(size('AWS::IAM::ManagedPolicy')).toBeLessThan(6_144 - 500);
    expect(size('AWS::IAM::ManagedPolicy')).toBeGreaterThan(100);
  });
});
