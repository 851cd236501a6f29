import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf, ALL_KEYS_ARN, aliasArn, BASE_PROPS, newStack, onlyStatementWith, rotationRoleStatements, stackWithKey, Statement,
  statementsWith,
} from './helpers';
import { MaterialExpiration, RotatingImportedKey, RotationInterval, WrappingAlgorithm, WrappingKeySpec } from '../../lib';

const GROUP_TAG = 'aws:ResourceTag/rotation:group';

const KEY_ACTIONS = [
  'kms:DescribeKey', 'kms:ListResourceTags', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:GetParametersForImport',
  'kms:ImportKeyMaterial', 'kms:Encrypt', 'kms:Decrypt', 'kms:TagResource', 'kms:UntagResource', 'kms:CreateAlias',
  'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:UpdateKeyDescription',
];

function keyStatements(statements: Statement[]): Statement[] {
  return statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(ALL_KEYS_ARN));
}

describe('rotation role permissions', () => {
  test('no policy in the stack allows kms:*, iam:* or *', () => {
    const { template } = stackWithKey({ removalPolicy: RemovalPolicy.DESTROY });
    const policies = Object.values(template().findResources('AWS::IAM::Policy')) as any[];
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap(actionsOf);
    expect(actions.length).toBeGreaterThan(20);
    for (const action of actions) {
      expect(action).not.toBe('*');
      expect(action).not.toBe('kms:*');
      expect(action.startsWith('iam:')).toBe(false);
    }
  });

  test('CreateKey is limited to EXTERNAL symmetric single-Region keys tagged with the group', () => {
    const { key, template } = stackWithKey();
    const statement = onlyStatementWith(rotationRoleStatements(template()), 'kms:CreateKey');
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: ['kms:CreateKey', 'kms:TagResource'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:RequestTag/rotation:group': [key.groupId], 'kms:KeyOrigin': 'EXTERNAL' },
        StringEqualsIfExists: { 'kms:KeySpec': 'SYMMETRIC_DEFAULT', 'kms:KeyUsage': 'ENCRYPT_DECRYPT' },
        BoolIfExists: { 'kms:MultiRegion': 'false', 'kms:BypassPolicyLockoutSafetyCheck': 'false' },
      },
    });
  });

  test('every action on existing keys is on key/* and requires the group tag', () => {
    const { key, template } = stackWithKey({ removalPolicy: RemovalPolicy.DESTROY });
    const statements = keyStatements(rotationRoleStatements(template()));
    const granted = new Set(statements.flatMap(actionsOf));
    for (const action of [...KEY_ACTIONS, 'kms:ScheduleKeyDeletion']) {
      expect(granted.has(action)).toBe(true);
    }
    for (const statement of statements) {
      expect(statement.Condition?.StringEquals?.[GROUP_TAG]).toEqual([key.groupId]);
    }
  });

  test('resources are key/* (tag-scoped), alias ARNs (alias actions) or * (CreateKey and the discovery calls)', () => {
    const { template } = stackWithKey();
    const statements = rotationRoleStatements(template()).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:') || a.startsWith('tag:')));
    const star = statements.filter((s) => s.Resource === '*');
    expect(star.flatMap(actionsOf).sort()).toEqual(['kms:CreateKey', 'kms:ListAliases', 'kms:TagResource', 'tag:GetResources']);
    expect(onlyStatementWith(statements, 'kms:ListAliases')).toEqual({ Effect: 'Allow', Action: ['kms:ListAliases', 'tag:GetResources'], Resource: '*' });
    const rest = statements.filter((s) => s.Resource !== '*');
    const onAliases = rest.filter((s) => JSON.stringify(s.Resource).includes(':alias/'));
    expect(onAliases).toHaveLength(2);
    expect(actionsOf(onAliases[0])).toEqual(['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias']);
    expect(onAliases[1]).toEqual({ Effect: 'Allow', Action: 'kms:DeleteAlias', Resource: aliasArn('alias/*') });
    for (const statement of rest.filter((s) => !JSON.stringify(s.Resource).includes(':alias/'))) {
      expect(statement.Resource).toEqual(ALL_KEYS_ARN);
      expect(statement.Condition?.StringEquals?.[GROUP_TAG]).toBeDefined();
    }
  });

  test('GetParametersForImport is pinned to the wrapping algorithm and key spec', () => {
    const { template } = stackWithKey({ wrappingAlgorithm: WrappingAlgorithm.RSAES_OAEP_SHA_1, wrappingKeySpec: WrappingKeySpec.RSA_2048 });
    const statement = onlyStatementWith(rotationRoleStatements(template()), 'kms:GetParametersForImport');
    expect(statement.Condition?.StringEquals).toMatchObject({
      'kms:WrappingAlgorithm': 'RSAES_OAEP_SHA_1',
      'kms:WrappingKeySpec': 'RSA_2048',
    });
  });

  test.each([
    ['KEY_MATERIAL_DOES_NOT_EXPIRE', MaterialExpiration.never()],
    ['KEY_MATERIAL_EXPIRES', MaterialExpiration.afterDays(90)],
  ])('ImportKeyMaterial is pinned to %s', (model, materialExpiration) => {
    const { template } = stackWithKey({ materialExpiration });
    const statement = onlyStatementWith(rotationRoleStatements(template()), 'kms:ImportKeyMaterial');
    expect(statement.Condition?.StringEquals?.['kms:ExpirationModel']).toBe(model);
  });

  test('PutKeyPolicy never bypasses the lockout safety check', () => {
    const { template } = stackWithKey();
    const statement = onlyStatementWith(rotationRoleStatements(template()), 'kms:PutKeyPolicy');
    expect(statement.Condition?.BoolIfExists).toEqual({ 'kms:BypassPolicyLockoutSafetyCheck': 'false' });
  });

  test('alias actions reach only the user alias and the group\'s generation aliases', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    const aliasStatements = rotationRoleStatements(template()).filter((s) => JSON.stringify(s.Resource).includes(':alias/'));
    expect(aliasStatements).toEqual([{
      Effect: 'Allow',
      Action: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
      Resource: [aliasArn('alias/telemetry'), aliasArn('alias/rotation/telemetry/*')],
    }, {
      // Only deletion reaches other aliases: a renamed alias must be removable after the
      // policy stops naming it, and KMS also checks DeleteAlias on the (group-tagged) target key.
      Effect: 'Allow',
      Action: 'kms:DeleteAlias',
      Resource: aliasArn('alias/*'),
    }]);
  });

  test('RETAIN (the default) grants no ScheduleKeyDeletion', () => {
    const { template } = stackWithKey();
    expect(statementsWith(rotationRoleStatements(template()), 'kms:ScheduleKeyDeletion')).toEqual([]);
  });

  test('DESTROY grants ScheduleKeyDeletion with exactly the pending window, on the group\'s keys', () => {
    const { key, template } = stackWithKey({ removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(14) });
    expect(onlyStatementWith(rotationRoleStatements(template()), 'kms:ScheduleKeyDeletion')).toEqual({
      Effect: 'Allow',
      Action: 'kms:ScheduleKeyDeletion',
      Resource: ALL_KEYS_ARN,
      Condition: {
        NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '14' },
        StringEquals: { [GROUP_TAG]: [key.groupId] },
      },
    });
  });

  describe('with several key groups in one stack', () => {
    function twoGroups() {
      const stack = newStack();
      new RotatingImportedKey(stack, 'A', { ...BASE_PROPS, aliasName: 'alias/a', groupId: 'group-a', removalPolicy: RemovalPolicy.DESTROY });
      new RotatingImportedKey(stack, 'B', {
        ...BASE_PROPS,
        aliasName: 'alias/b',
        groupId: 'group-b',
        wrappingKeySpec: WrappingKeySpec.RSA_3072,
        materialExpiration: MaterialExpiration.afterDays(30),
      });
      return rotationRoleStatements(Template.fromStack(stack));
    }

    test('shared statements list both groups; group-specific settings stay with their group', () => {
      const statements = twoGroups();
      expect(onlyStatementWith(statements, 'kms:CreateKey').Condition?.StringEquals?.['aws:RequestTag/rotation:group']).toEqual(['group-a', 'group-b']);
      expect(onlyStatementWith(statements, 'kms:GetKeyPolicy').Condition?.StringEquals?.[GROUP_TAG]).toEqual(['group-a', 'group-b']);
      const wrap = statementsWith(statements, 'kms:GetParametersForImport');
      expect(wrap.map((s) => [s.Condition?.StringEquals?.['kms:WrappingKeySpec'], s.Condition?.StringEquals?.[GROUP_TAG]])).toEqual([
        ['RSA_4096', ['group-a']],
        ['RSA_3072', ['group-b']],
      ]);
      const imports = statementsWith(statements, 'kms:ImportKeyMaterial');
      expect(imports.map((s) => [s.Condition?.StringEquals?.['kms:ExpirationModel'], s.Condition?.StringEquals?.[GROUP_TAG]])).toEqual([
        ['KEY_MATERIAL_DOES_NOT_EXPIRE', ['group-a']],
        ['KEY_MATERIAL_EXPIRES', ['group-b']],
      ]);
      expect(onlyStatementWith(statements, 'kms:ScheduleKeyDeletion').Condition?.StringEquals?.[GROUP_TAG]).toEqual(['group-a']);
    });

    test('alias permissions list each group\'s alias and generation prefix', () => {
      const statements = twoGroups();
      const aliasStatement = statementsWith(statements, 'kms:UpdateAlias').find((s) => Array.isArray(s.Resource))!;
      expect(aliasStatement.Resource).toEqual([
        aliasArn('alias/a'), aliasArn('alias/rotation/group-a/*'),
        aliasArn('alias/b'), aliasArn('alias/rotation/group-b/*'),
      ]);
    });
  });

  test('the rotation role policy of 10 key groups stays below the IAM inline policy limit of 10,240 characters', () => {
    const stack = newStack();
    for (let i = 0; i < 10; i++) {
      new RotatingImportedKey(stack, `Key${i}`, {
        aliasName: `alias/service-${i}/data`,
        rotationInterval: RotationInterval.months(1 + i),
        removalPolicy: i % 2 === 0 ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
    }
    const statements = rotationRoleStatements(Template.fromStack(stack));
    // Rendered ARNs are longer than the Fn::Join objects stand for; JSON is a fair upper estimate.
    expect(JSON.stringify(statements).length).toBeLessThan(10_240);
  });
});
