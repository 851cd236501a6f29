import { isDeepStrictEqual } from 'node:util';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf, aliasArn, BASE_PROPS, KEY_ARNS, kmsStatements, newStack, onlyStatementWith, roleStatements, stackWithKey, statementsWith,
  expiringProvidedMaterial,
} from './helpers';
import { customResourceProperties, eventBusesOf, ledgerTableArn, TEST_STACK_ID } from './synthesized-policies';
import { parseRetention } from '../../lambda/rotation/settings';
import { Retention, RotatingImportedKey, RotationInterval, WrappingAlgorithm, WrappingKeySpec } from '../../lib';

const GROUP = { 'aws:ResourceTag/rotation:group': ['telemetry'] };

/** What only a key being created has, of what IAM sees: no group tag, no alias (docs/security-model.md). */
const NEW_KEY_ONLY = { 'aws:ResourceTag/rotation:group': 'true', 'kms:ResourceAliases': 'true' };
/** Every alias of the key is a generation alias: never a key a user alias points at. */
const NO_USER_ALIAS = { 'ForAllValues:StringLike': { 'kms:ResourceAliases': ['alias/rotation/*'] } };

/**
 * The rotation role's key and alias statements for one group, whatever the removal policy: ScheduleKeyDeletion and
 * DeleteAlias only for the sweep of a Create that died (a key still pending, no user alias, the 7-day window).
 */
const ROTATION_KMS_STATEMENTS = [
  {
    Effect: 'Allow',
    Action: 'kms:CreateKey',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:RequestTag/rotation:group': ['telemetry'], 'aws:RequestTag/rotation:stack': TEST_STACK_ID, 'aws:RequestTag/rotation:stage': 'pending', 'kms:KeyOrigin': 'EXTERNAL' },
      StringEqualsIfExists: { 'kms:KeySpec': 'SYMMETRIC_DEFAULT', 'kms:KeyUsage': 'ENCRYPT_DECRYPT' },
      BoolIfExists: { 'kms:MultiRegion': 'false', 'kms:BypassPolicyLockoutSafetyCheck': 'false' },
      Null: NEW_KEY_ONLY,
    },
  },
  {
    // The TagResource that CreateKey with tags implies (the key does not exist yet), with CreateKey's conditions;
    // no existing key of a group, and no key an alias points at, satisfies them (docs/security-model.md).
    Effect: 'Allow',
    Action: 'kms:TagResource',
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
    Action: ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:GetKeyPolicy', 'kms:CreateAlias', 'kms:UpdateAlias'],
    Resource: KEY_ARNS,
    Condition: { StringEquals: GROUP },
  },
  {
    // Labels: never the group or stack tag, never stage pending.
    Effect: 'Allow',
    Action: 'kms:TagResource',
    Resource: KEY_ARNS,
    Condition: {
      'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['rotation:group', 'rotation:stack'] },
      'StringNotEquals': { 'aws:RequestTag/rotation:stage': 'pending' },
      'StringEquals': GROUP,
    },
  },
  {
    Effect: 'Allow',
    Action: 'kms:UntagResource',
    Resource: KEY_ARNS,
    Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['rotation:next-due-at'] }, 'StringEquals': GROUP },
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
  { Effect: 'Allow', Action: 'kms:CreateAlias', Resource: aliasArn('alias/rotation/telemetry/*') },
  { Effect: 'Allow', Action: 'kms:UpdateAlias', Resource: aliasArn('alias/telemetry') },
  { Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' },
  {
    Effect: 'Allow',
    Action: 'kms:ScheduleKeyDeletion',
    Resource: KEY_ARNS,
    Condition: {
      ...NO_USER_ALIAS,
      StringEquals: { ...GROUP, 'aws:ResourceTag/rotation:stage': 'pending' },
      NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' },
    },
  },
  {
    Effect: 'Allow',
    Action: 'kms:DeleteAlias',
    Resource: KEY_ARNS,
    Condition: { StringEquals: { ...GROUP, 'aws:ResourceTag/rotation:stage': 'pending' } },
  },
  { Effect: 'Allow', Action: 'kms:DeleteAlias', Resource: aliasArn('alias/rotation/telemetry/*') },
  {
    // The key the group's alias points at, whatever its tags: a replacement's promotion moves the alias off the replaced group's key
    // (in the role's managed policy for replaced groups, as the handover's deletion).
    Effect: 'Allow',
    Action: ['kms:DescribeKey', 'kms:UpdateAlias'],
    Resource: KEY_ARNS,
    Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/telemetry'] } },
  },
];

/** With DESTROY only: the handover's deletion of a replaced group's keys, with the group's window, never a key a user alias points at. */
const ROTATION_DESTROY_STATEMENTS = [
  {
    Effect: 'Allow',
    Action: 'kms:ScheduleKeyDeletion',
    Resource: KEY_ARNS,
    Condition: {
      ...NO_USER_ALIAS,
      NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '10' },
      StringEquals: { 'aws:ResourceTag/rotation:stack': TEST_STACK_ID },
      StringNotEquals: GROUP,
    },
  },
];

const SETTINGS_ACTIONS = ['kms:UpdateKeyDescription', 'kms:ListAliases', 'kms:CancelKeyDeletion', 'kms:DisableKey'];

describe('rotation role permissions', () => {
  test.each([
    ['RETAIN', RemovalPolicy.RETAIN, []],
    ['DESTROY', RemovalPolicy.DESTROY, ROTATION_DESTROY_STATEMENTS],
  ])('exactly these key and alias statements for one group with %s', (_name, removalPolicy, destroy) => {
    const { template } = stackWithKey({ groupId: 'telemetry', removalPolicy, pendingWindow: Duration.days(10) });
    expect(kmsStatements(roleStatements(template(), 'rotation'))).toEqual([...ROTATION_KMS_STATEMENTS, ...destroy]);
  });

  test('besides KMS: its own log group, the ledger items (no DeleteItem), the library\'s event on the stack\'s rotation event bus and the dead-letter queue', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    const t = template();
    const others = roleStatements(t, 'rotation').filter((s) => !actionsOf(s).some((a) => a.startsWith('kms:') || a.startsWith('tag:')));
    const logGroup = Object.keys(t.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('RotatingImportedKeyRotationLogGroup'))!;
    const queue = Object.keys(t.findResources('AWS::SQS::Queue'))[0];
    expect(others).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `arn:aws:logs:us-east-1:111122223333:log-group:${logGroup}:*` },
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:Scan'], Resource: ledgerTableArn(t.toJSON()) },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:111122223333:${queue}` },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:us-east-1:111122223333:event-bus/${eventBusesOf(t.toJSON())[0].name}`,
        Condition: { StringEquals: { 'events:source': 'cdk-rotating-imported-key', 'events:detail-type': 'Imported Key Rotated' } },
      },
    ]);
  });

  test('may remove no tag but the retired generation\'s due date', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    const untag = onlyStatementWith(roleStatements(template(), 'rotation'), 'kms:UntagResource');
    expect(untag.Condition).toEqual({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['rotation:next-due-at'] }, 'StringEquals': GROUP });
  });

  test('may not change settings or list aliases, and deletes no user alias: DeleteAlias only of generation aliases of pending keys', () => {
    const { template } = stackWithKey({ groupId: 'telemetry', removalPolicy: RemovalPolicy.DESTROY });
    const statements = roleStatements(template(), 'rotation');
    for (const action of SETTINGS_ACTIONS) {
      expect(statements.flatMap(actionsOf)).not.toContain(action);
    }
    const deleteAlias = statementsWith(statements, 'kms:DeleteAlias');
    expect(deleteAlias.map((x) => [x.Resource, x.Condition?.StringEquals?.['aws:ResourceTag/rotation:stage']])).toEqual([
      [KEY_ARNS, 'pending'],
      [aliasArn('alias/rotation/telemetry/*'), undefined],
    ]);
  });

  test('disables no key without a retention policy, and schedules deletion of its groups\' keys only of a pending key no user alias points at, with 7 days, even with DESTROY', () => {
    const { template } = stackWithKey({ removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(30) });
    const statements = roleStatements(template(), 'rotation');
    expect(statements.flatMap(actionsOf)).not.toContain('kms:DisableKey');
    const [own, replaced] = statementsWith(statements, 'kms:ScheduleKeyDeletion');
    expect(own.Condition).toMatchObject({
      ...NO_USER_ALIAS,
      StringEquals: { 'aws:ResourceTag/rotation:stage': 'pending' },
      NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' },
    });
    // The other: only keys of a group the template no longer names (the handover of a replaced group), never a user alias's.
    expect(replaced.Condition).toEqual({
      ...NO_USER_ALIAS,
      StringEquals: { 'aws:ResourceTag/rotation:stack': TEST_STACK_ID },
      StringNotEquals: { 'aws:ResourceTag/rotation:group': own.Condition!.StringEquals!['aws:ResourceTag/rotation:group'] },
      NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' },
    });
    expect(statementsWith(statements, 'kms:ScheduleKeyDeletion')).toHaveLength(2);
  });

  test('no statement lets it put the group tag or stage pending on a key that exists', () => {
    const { template } = stackWithKey({ groupId: 'telemetry' });
    const tagging = statementsWith(roleStatements(template(), 'rotation'), 'kms:TagResource');
    expect(tagging).toHaveLength(2);
    const [createTime, labels] = tagging;
    expect(createTime.Condition?.Null).toEqual(NEW_KEY_ONLY);
    expect(createTime.Condition?.StringEquals?.['aws:RequestTag/rotation:stage']).toBe('pending');
    expect(labels.Condition).toMatchObject({
      'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['rotation:group', 'rotation:stack'] },
      'StringNotEquals': { 'aws:RequestTag/rotation:stage': 'pending' },
    });
  });

  test('creates only pending keys, and PutKeyPolicy never bypasses the lockout check', () => {
    const { template } = stackWithKey();
    const statements = roleStatements(template(), 'rotation');
    expect(onlyStatementWith(statements, 'kms:CreateKey').Condition?.StringEquals?.['aws:RequestTag/rotation:stage']).toBe('pending');
    expect(onlyStatementWith(statements, 'kms:PutKeyPolicy').Condition?.BoolIfExists).toEqual({ 'kms:BypassPolicyLockoutSafetyCheck': 'false' });
  });

  test('GetParametersForImport and ImportKeyMaterial are pinned to the group\'s settings', () => {
    const { template } = stackWithKey((stack) => ({
      wrappingAlgorithm: WrappingAlgorithm.RSAES_OAEP_SHA_1,
      wrappingKeySpec: WrappingKeySpec.RSA_2048,
      ...expiringProvidedMaterial(stack, 90),
    }));
    const statements = roleStatements(template(), 'rotation');
    expect(onlyStatementWith(statements, 'kms:GetParametersForImport').Condition?.StringEquals).toMatchObject({
      'kms:WrappingAlgorithm': 'RSAES_OAEP_SHA_1',
      'kms:WrappingKeySpec': 'RSA_2048',
    });
    expect(onlyStatementWith(statements, 'kms:ImportKeyMaterial').Condition?.StringEquals?.['kms:ExpirationModel']).toBe('KEY_MATERIAL_EXPIRES');
  });

  test('with several key groups: shared statements list every group, alias statements every alias', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'A', { ...BASE_PROPS, aliasName: 'alias/a', groupId: 'group-a' });
    new RotatingImportedKey(stack, 'B', { ...BASE_PROPS, aliasName: 'alias/b', groupId: 'group-b', wrappingKeySpec: WrappingKeySpec.RSA_3072 });
    const statements = roleStatements(Template.fromStack(stack), 'rotation');
    expect(statementsWith(statements, 'kms:TagResource').map((s) => s.Condition?.StringEquals?.['aws:ResourceTag/rotation:group'] ?? s.Condition?.StringEquals?.['aws:RequestTag/rotation:group']))
      .toEqual([['group-a', 'group-b'], ['group-a', 'group-b']]);
    expect(statementsWith(statements, 'kms:GetParametersForImport')).toHaveLength(2);
    expect(statementsWith(statements, 'kms:CreateAlias').find((s) => s.Condition === undefined)?.Resource)
      .toEqual([aliasArn('alias/rotation/group-a/*'), aliasArn('alias/rotation/group-b/*')]);
    expect(statementsWith(statements, 'kms:UpdateAlias').find((s) => s.Condition === undefined)?.Resource)
      .toEqual([aliasArn('alias/a'), aliasArn('alias/b')]);
  });
});

// The `retention` prop: bad values refused with the prop and the allowed range named, the custom resource
// property the functions parse, and the permissions on retired generations (none for keepAll).
const RETIRED = { ...GROUP, 'aws:ResourceTag/rotation:stage': 'retired' };
const RETENTION_ACTIONS = ['kms:DisableKey', 'kms:EnableKey', 'kms:GetKeyLastUsage', 'kms:CancelKeyDeletion'];

describe('retention prop', () => {
  test.each([
    ['keepLatest(0)', () => Retention.keepLatest(0), /retention: Retention.keepLatest\(\) takes a literal whole number of retired generations from 1 to 100; received 0/],
    ['keepLatest(1.5)', () => Retention.keepLatest(1.5), /from 1 to 100; received 1.5/],
    ['keepLatest(101)', () => Retention.keepLatest(101), /from 1 to 100; received 101/],
    ['deleteAfter(29 days)', () => Retention.deleteAfter(Duration.days(29)), /retention: Retention.deleteAfter\(\) after must be whole days from 30 to 3650; received 29 days/],
    ['deleteAfter(36 hours)', () => Retention.deleteAfter(Duration.hours(36)), /after must be whole days from 30 to 3650/],
    ['pendingWindow 6 days', () => Retention.deleteAfter(Duration.days(90), { pendingWindow: Duration.days(6) }), /pendingWindow must be whole days from 7 to 30; received 6 days/],
    ['pendingWindow 31 days', () => Retention.deleteAfter(Duration.days(90), { pendingWindow: Duration.days(31) }), /pendingWindow must be whole days from 7 to 30/],
    ['quietPeriod 6 days', () => Retention.deleteAfter(Duration.days(90), { quietPeriod: Duration.days(6) }), /quietPeriod must be whole days from 7 to 365; received 6 days/],
    ['quietPeriod 366 days', () => Retention.deleteAfter(Duration.days(90), { quietPeriod: Duration.days(366) }), /quietPeriod must be whole days from 7 to 365/],
  ])('refuses %s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('the custom resource carries the policy, and the functions parse it back (keepAll by default)', () => {
    const cases: Array<[Retention | undefined, unknown]> = [
      [undefined, { policy: 'keep-all' }],
      [Retention.keepLatest(3), { policy: 'keep-latest', count: 3 }],
      [Retention.deleteAfter(Duration.days(400)), { policy: 'delete-after', afterDays: 400, quietDays: 30, pendingWindowDays: 30 }],
      [Retention.deleteAfter(Duration.days(60), { quietPeriod: Duration.days(14), pendingWindow: Duration.days(7) }), { policy: 'delete-after', afterDays: 60, quietDays: 14, pendingWindowDays: 7 }],
    ];
    for (const [retention, parsed] of cases) {
      const { template } = stackWithKey({ groupId: 'telemetry', ...(retention ? { retention } : {}) });
      expect(parseRetention(customResourceProperties(template().toJSON()).Retention, 'Retention')).toEqual(parsed);
    }
  });

  test('keepAll synthesizes none of the retention permissions, and no ScheduleKeyDeletion but the sweep\'s of a pending key', () => {
    for (const retention of [undefined, Retention.keepAll()]) {
      const { template } = stackWithKey({ groupId: 'telemetry', ...(retention ? { retention } : {}) });
      const statements = roleStatements(template(), 'rotation');
      const actions = statements.flatMap(actionsOf);
      for (const a of RETENTION_ACTIONS) expect(actions).not.toContain(a);
      expect(statementsWith(statements, 'kms:ScheduleKeyDeletion').map((x) => x.Condition?.StringEquals?.['aws:ResourceTag/rotation:stage'])).toEqual(['pending']);
    }
  });

  test('keepLatest: DisableKey on retired keys of the group only', () => {
    const base = kmsStatements(roleStatements(stackWithKey({ groupId: 'telemetry' }).template(), 'rotation'));
    const statements = kmsStatements(roleStatements(stackWithKey({ groupId: 'telemetry', retention: Retention.keepLatest(2) }).template(), 'rotation'));
    expect(base.filter((b) => !statements.some((x) => isDeepStrictEqual(x, b)))).toEqual([]);
    expect(statements.filter((x) => !base.some((b) => isDeepStrictEqual(x, b)))).toEqual([
      { Effect: 'Allow', Action: ['kms:DisableKey', 'kms:EnableKey'], Resource: KEY_ARNS, Condition: { ...NO_USER_ALIAS, StringEquals: RETIRED } },
    ]);
  });

  test('deleteAfter: DisableKey, GetKeyLastUsage and ScheduleKeyDeletion with its pending window, on retired keys of the group only', () => {
    const base = kmsStatements(roleStatements(stackWithKey({ groupId: 'telemetry' }).template(), 'rotation'));
    const retention = Retention.deleteAfter(Duration.days(90), { pendingWindow: Duration.days(14) });
    const statements = kmsStatements(roleStatements(stackWithKey({ groupId: 'telemetry', retention }).template(), 'rotation'));
    expect(statements.filter((x) => !base.some((b) => isDeepStrictEqual(x, b)))).toEqual([
      { Effect: 'Allow', Action: ['kms:DisableKey', 'kms:EnableKey'], Resource: KEY_ARNS, Condition: { ...NO_USER_ALIAS, StringEquals: RETIRED } },
      { Effect: 'Allow', Action: 'kms:GetKeyLastUsage', Resource: KEY_ARNS, Condition: { StringEquals: RETIRED } },
      {
        Effect: 'Allow',
        Action: 'kms:ScheduleKeyDeletion',
        Resource: KEY_ARNS,
        Condition: { ...NO_USER_ALIAS, StringEquals: RETIRED, NumericEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '14' } },
      },
    ]);
  });

  test('only the groups whose policy needs them are named; groups with the same needs share a statement', () => {
    const stack = newStack();
    const key = (id: string, retention?: Retention) => new RotatingImportedKey(stack, id, {
      aliasName: `alias/${id}`, groupId: id, rotationInterval: RotationInterval.months(6), ...(retention ? { retention } : {}),
    });
    key('a');
    key('b', Retention.keepLatest(1));
    key('c', Retention.keepLatest(5));
    key('d', Retention.deleteAfter(Duration.days(60)));
    const statements = roleStatements(Template.fromStack(stack), 'rotation');
    const disable = statementsWith(statements, 'kms:DisableKey');
    expect(disable.map((s) => s.Condition?.StringEquals?.['aws:ResourceTag/rotation:group'])).toEqual([['b', 'c', 'd']]);
    expect(statementsWith(statements, 'kms:GetKeyLastUsage').map((s) => s.Condition?.StringEquals?.['aws:ResourceTag/rotation:group'])).toEqual([['d']]);
  });
});
