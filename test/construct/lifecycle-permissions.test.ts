import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf, aliasArn, BASE_PROPS, KEY_ARNS, kmsStatements, newStack, onlyStatementWith, roleStatements, stackWithKey, statementsWith,
  expiringProvidedMaterial,
} from './helpers';
import { ledgerTableArn, TEST_STACK_ID } from './synthesized-policies';
import { RotatingImportedKey, WrappingKeySpec } from '../../lib';

const GROUP = { 'aws:ResourceTag/rotation:group': ['telemetry'] };
/** What only a key being created has, of what IAM sees: no group tag, no alias (docs/security-model.md). */
const NEW_KEY_ONLY = { 'aws:ResourceTag/rotation:group': 'true', 'kms:ResourceAliases': 'true' };

/** Keys this stack made of a group the template no longer names (a replaced group). */
const REPLACED = { 'aws:ResourceTag/rotation:stack': TEST_STACK_ID };

/** What the lifecycle role may do to a replaced group's keys, with RETAIN (docs/security-model.md, "Replaced groups"). */
const REPLACED_GROUP_STATEMENTS = [
  {
    // A rolled-back replacement discards the removed group's never-promoted generation.
    Effect: 'Allow',
    Action: 'kms:ScheduleKeyDeletion',
    Resource: KEY_ARNS,
    Condition: {
      'ForAllValues:StringLike': { 'kms:ResourceAliases': ['alias/rotation/*'] },
      'StringEquals': { ...REPLACED, 'aws:ResourceTag/rotation:stage': 'pending' },
      'NumericEquals': { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' },
      'StringNotEquals': GROUP,
    },
  },
  {
    Effect: 'Allow',
    // Keys this stack made (for its current groups no more than their own statements allow).
    Action: ['kms:DescribeKey', 'kms:UpdateAlias', 'kms:DeleteAlias'],
    Resource: KEY_ARNS,
    Condition: { StringEquals: REPLACED },
  },
  {
    // A replacing Create reads the alias's key, also one made before keys carried the stack tag.
    Effect: 'Allow',
    Action: 'kms:DescribeKey',
    Resource: KEY_ARNS,
    Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/telemetry'] } },
  },
];

/** The lifecycle role's key and alias statements for one group, with the defaults (RETAIN). */
const LIFECYCLE_KMS_STATEMENTS = [
  {
    Effect: 'Allow',
    Action: ['kms:CreateKey', 'kms:TagResource'],
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:RequestTag/rotation:group': ['telemetry'], 'aws:RequestTag/rotation:stack': TEST_STACK_ID, 'aws:RequestTag/rotation:stage': 'pending', 'kms:KeyOrigin': 'EXTERNAL' },
      StringEqualsIfExists: { 'kms:KeySpec': 'SYMMETRIC_DEFAULT', 'kms:KeyUsage': 'ENCRYPT_DECRYPT' },
      BoolIfExists: { 'kms:MultiRegion': 'false', 'kms:BypassPolicyLockoutSafetyCheck': 'false' },
      Null: NEW_KEY_ONLY,
    },
  },
  {
    Effect: 'Allow',
    Action: ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:GetKeyPolicy', 'kms:UpdateKeyDescription', 'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
    Resource: KEY_ARNS,
    Condition: { StringEquals: GROUP },
  },
  {
    // Labels: never the group or stack tag (neither written nor removed), never stage pending.
    Effect: 'Allow',
    Action: ['kms:TagResource', 'kms:UntagResource'],
    Resource: KEY_ARNS,
    Condition: {
      'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['rotation:group', 'rotation:stack'] },
      'StringNotEquals': { 'aws:RequestTag/rotation:stage': 'pending' },
      'StringEquals': GROUP,
    },
  },
  {
    Effect: 'Allow',
    Action: 'kms:PutKeyPolicy',
    Resource: KEY_ARNS,
    Condition: { BoolIfExists: { 'kms:BypassPolicyLockoutSafetyCheck': 'false' }, StringEquals: GROUP },
  },
  {
    Effect: 'Allow',
    Action: ['kms:Encrypt', 'kms:Decrypt'],
    Resource: KEY_ARNS,
    Condition: { StringEquals: { ...GROUP, 'kms:EncryptionContext:rotation:purpose': 'probe' } },
  },
  {
    Effect: 'Allow',
    Action: 'kms:GetParametersForImport',
    Resource: KEY_ARNS,
    Condition: { StringEquals: { ...GROUP, 'kms:WrappingAlgorithm': 'RSAES_OAEP_SHA_256', 'kms:WrappingKeySpec': 'RSA_4096' } },
  },
  {
    Effect: 'Allow',
    Action: 'kms:ImportKeyMaterial',
    Resource: KEY_ARNS,
    Condition: { StringEquals: { ...GROUP, 'kms:ExpirationModel': 'KEY_MATERIAL_DOES_NOT_EXPIRE' } },
  },
  {
    Effect: 'Allow',
    Action: 'kms:ScheduleKeyDeletion',
    Resource: KEY_ARNS,
    Condition: {
      // Never a key a user alias points at (every alias of the key is a generation alias).
      'ForAllValues:StringLike': { 'kms:ResourceAliases': ['alias/rotation/*'] },
      'StringEquals': { ...GROUP, 'aws:ResourceTag/rotation:stage': 'pending' },
      'NumericEquals': { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' },
    },
  },
  {
    Effect: 'Allow',
    Action: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
    Resource: [aliasArn('alias/telemetry'), aliasArn('alias/rotation/telemetry/*')],
  },
  {
    // Only deletion reaches other aliases: a renamed alias must be removable after the
    // policy stops naming it, and KMS also checks DeleteAlias on the (group-tagged) target key.
    Effect: 'Allow',
    Action: 'kms:DeleteAlias',
    Resource: aliasArn('alias/*'),
  },
  { Effect: 'Allow', Action: ['kms:ListAliases', 'tag:GetResources'], Resource: '*' },
  ...REPLACED_GROUP_STATEMENTS,
];

describe('lifecycle role permissions', () => {
  test('exactly these key and alias statements for one group with RETAIN', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    expect(kmsStatements(roleStatements(template(), 'lifecycle'))).toEqual(LIFECYCLE_KMS_STATEMENTS);
  });

  test('besides KMS: its own log group and the ledger items (with DeleteItem), nothing else', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    const t = template();
    const others = roleStatements(t, 'lifecycle').filter((s) => !actionsOf(s).some((a) => a.startsWith('kms:') || a.startsWith('tag:')));
    const logGroup = Object.keys(t.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('RotatingImportedKeyRotationLifecycleLogGroup'))!;
    expect(others).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:111122223333:log-group:${logGroup}:*`,
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:Scan'],
        Resource: ledgerTableArn(t.toJSON()),
      },
    ]);
  });

  test('DESTROY adds ScheduleKeyDeletion of the group\'s keys with exactly the pending window', () => {
    const { template } = stackWithKey({ groupId: 'telemetry', removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(14) });
    const deletions = statementsWith(roleStatements(template(), 'lifecycle'), 'kms:ScheduleKeyDeletion');
    expect(deletions).toEqual([
      LIFECYCLE_KMS_STATEMENTS[7],
      {
        Effect: 'Allow',
        Action: 'kms:ScheduleKeyDeletion',
        Resource: KEY_ARNS,
        Condition: { NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '14' }, StringEquals: GROUP },
      },
      REPLACED_GROUP_STATEMENTS[0],
      {
        // The Delete of a group this one replaced: its keys this stack made, with the window the template declares.
        Effect: 'Allow',
        Action: 'kms:ScheduleKeyDeletion',
        Resource: KEY_ARNS,
        Condition: { NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '14' }, StringEquals: REPLACED, StringNotEquals: GROUP },
      },
    ]);
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
        ...expiringProvidedMaterial(stack, 30),
      });
      return roleStatements(Template.fromStack(stack), 'lifecycle');
    }

    test('shared statements list both groups; group-specific settings stay with their group', () => {
      const statements = twoGroups();
      const groupsOf = (s: { Condition?: any }) => s.Condition?.StringEquals?.['aws:ResourceTag/rotation:group'];
      expect(onlyStatementWith(statements, 'kms:CreateKey').Condition?.StringEquals?.['aws:RequestTag/rotation:group']).toEqual(['group-a', 'group-b']);
      expect(groupsOf(onlyStatementWith(statements, 'kms:GetKeyPolicy'))).toEqual(['group-a', 'group-b']);
      expect(groupsOf(onlyStatementWith(statements, 'kms:Encrypt'))).toEqual(['group-a', 'group-b']);
      expect(statementsWith(statements, 'kms:GetParametersForImport').map((s) => [s.Condition?.StringEquals?.['kms:WrappingKeySpec'], groupsOf(s)])).toEqual([
        ['RSA_4096', ['group-a']],
        ['RSA_3072', ['group-b']],
      ]);
      expect(statementsWith(statements, 'kms:ImportKeyMaterial').map((s) => [s.Condition?.StringEquals?.['kms:ExpirationModel'], groupsOf(s)])).toEqual([
        ['KEY_MATERIAL_DOES_NOT_EXPIRE', ['group-a']],
        ['KEY_MATERIAL_EXPIRES', ['group-b']],
      ]);
      // The pending discard serves both groups; only group-a (DESTROY) may delete any of its keys.
      expect(statementsWith(statements, 'kms:ScheduleKeyDeletion').map((s) => [s.Condition?.StringEquals, s.Condition?.NumericEquals])).toEqual([
        [{ 'aws:ResourceTag/rotation:group': ['group-a', 'group-b'], 'aws:ResourceTag/rotation:stage': 'pending' }, { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' }],
        [{ 'aws:ResourceTag/rotation:group': ['group-a'] }, { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' }],
        [{ ...REPLACED, 'aws:ResourceTag/rotation:stage': 'pending' }, { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' }],
        [REPLACED, { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' }],
      ]);
    });

    test('alias permissions list each group\'s alias and generation prefix', () => {
      const aliasStatement = statementsWith(twoGroups(), 'kms:UpdateAlias').find((s) => Array.isArray(s.Resource))!;
      expect(aliasStatement.Resource).toEqual([
        aliasArn('alias/a'), aliasArn('alias/rotation/group-a/*'),
        aliasArn('alias/b'), aliasArn('alias/rotation/group-b/*'),
      ]);
    });
  });
});
