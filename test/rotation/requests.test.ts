import { cfnEvent, groupProps, LIFECYCLE_ROLE_ARN, ROTATION_ROLE_ARN } from './fixtures';
import { InvalidRequestError } from '../../lambda/rotation/errors';
import { parseLifecycleRequest, parseRotationRequest } from '../../lambda/rotation/requests';
import { emergencyRotationsPerDayOf } from '../../lambda/rotation/settings';

describe('parseRotationRequest: schedule and emergency events', () => {
  test('rotate-if-due and rotate-now', () => {
    expect(parseRotationRequest({ action: 'rotate-if-due', aliasName: 'alias/a', groupId: 'g-1' })).toEqual({ kind: 'rotate', force: false, aliasName: 'alias/a', groupId: 'g-1' });
    expect(parseRotationRequest({ action: 'rotate-now', aliasName: 'alias/a' })).toEqual({ kind: 'rotate', force: true, aliasName: 'alias/a', groupId: undefined });
  });

  test.each([
    [null, /not an object/],
    [[1, 2], /an array/],
    ['rotate', /string, not an object/],
    [{}, /has no "action"/],
    [{ action: 'rotate', aliasName: 'alias/a' }, /unknown action "rotate"/],
    [{ action: 'rotate-now' }, /aliasName must be a string/],
    [{ action: 'rotate-now', aliasName: 'telemetry' }, /aliasName must match/],
    [{ action: 'rotate-now', aliasName: 'alias/aws/s3' }, /reserved for AWS managed keys/],
    [{ action: 'rotate-now', aliasName: 'alias/rotation/g/generation-1' }, /reserved for generation aliases/],
    [{ action: 'rotate-now', aliasName: `alias/${'a'.repeat(260)}` }, /at most 256/],
    [{ action: 'rotate-now', aliasName: 42 }, /must be a string/],
    [{ action: 'rotate-now', aliasName: 'alias/a', extra: 1 }, /unexpected field/],
    [{ action: 'rotate-now', aliasName: 'alias/a', groupId: 'bad id!' }, /groupId must match/],
    [{ action: 'rotate-now', aliasName: 'alias/a', pad: 'x'.repeat(70_000) }, /more than 65536/],
  ])('refuses %j', (event, message) => {
    expect(() => parseRotationRequest(event)).toThrow(InvalidRequestError);
    expect(() => parseRotationRequest(event)).toThrow(message);
  });

  test('the refusal says what was expected', () => {
    expect(() => parseRotationRequest({ hello: 'world' })).toThrow(/accepts only \{"action":"rotate-if-due"\|"rotate-now"/);
  });

  test.each(['Create', 'Update', 'Delete'] as const)('refuses a CloudFormation %s event: only the lifecycle entry point takes those', (type) => {
    expect(() => parseRotationRequest(cfnEvent(type, groupProps()))).toThrow(/only the lifecycle entry point accepts/);
  });
});

describe('parseLifecycleRequest: custom resource events', () => {
  test('refuses rotation events: the lifecycle entry point takes CloudFormation events only', () => {
    expect(() => parseLifecycleRequest({ action: 'rotate-now', aliasName: 'alias/a' })).toThrow(/not a CloudFormation custom resource event/);
  });

  test('Create with defaults', () => {
    const r = parseLifecycleRequest(cfnEvent('Create', groupProps()));
    expect(r.kind).toBe('create');
    if (r.kind !== 'create') return;
    expect(r.settings).toMatchObject({
      groupId: 'telemetry-group',
      aliasName: 'alias/telemetry',
      intervalMonths: 6,
      materialValidityDays: 0,
      userTags: { team: 'platform' },
      removalPolicy: 'retain',
      pendingWindowDays: 7,
      propagationSeconds: 420,
      scheduleHour: 3,
      scheduleTimeZone: 'Etc/UTC',
    });
    // The key policy names no function role: the account delegation lets IAM decide.
    expect(r.settings.policy.Statement.map((s) => s.Sid)).toEqual(['EnableIamUserPermissions']);
    expect(JSON.stringify(r.settings.policy)).not.toContain('role/');
  });

  test('Update carries the old alias; Delete is lenient about broken properties', () => {
    const u = parseLifecycleRequest(cfnEvent('Update', groupProps({ AliasName: 'alias/new' }), { OldResourceProperties: groupProps() }));
    expect(u).toMatchObject({ kind: 'update', oldAliasName: 'alias/telemetry', physicalResourceId: 'telemetry-group', requestId: 'req-Update' });
    const del = parseLifecycleRequest(cfnEvent('Delete', { GroupId: 'telemetry-group', IntervalMonths: 'banana', RemovalPolicy: 'destroy', PendingWindowDays: '9' }));
    expect(del).toEqual({ kind: 'delete', groupId: 'telemetry-group', aliasName: undefined, removalPolicy: 'destroy', pendingWindowDays: 9, physicalResourceId: 'telemetry-group' });
  });

  const deny = (principal: unknown, action: unknown) => JSON.stringify([{ Effect: 'Deny', Principal: principal, Action: action, Resource: '*' }]);
  test.each([
    [{ IntervalMonths: '0' }, /IntervalMonths must be a whole number of months from 1 to 120/],
    [{ IntervalMonths: '121' }, /IntervalMonths/],
    [{ IntervalMonths: '6.5' }, /IntervalMonths/],
    [{ AliasName: 'alias/aws/ebs' }, /AliasName must not start with "alias\/aws\/"/],
    [{ GroupId: '' }, /GroupId must match/],
    [{ MaterialValidityDays: '366' }, /MaterialValidityDays must be 0 .* from 1 to 365/],
    [{ WrappingAlgorithm: 'RSAES_PKCS1_V1_5' }, /WrappingAlgorithm must be one of/],
    [{ WrappingKeySpec: 'RSA_1024' }, /WrappingKeySpec must be one of/],
    [{ RemovalPolicy: 'snapshot' }, /RemovalPolicy must be "retain" or "destroy"/],
    [{ PendingWindowDays: '6' }, /PendingWindowDays must be a whole number of days from 7 to 30/],
    [{ Tags: '{"rotation:stage":"current"}' }, /must not start with "rotation:"/],
    [{ Tags: '{"aws:x":"y"}' }, /must not start/],
    [{ Tags: '[1]' }, /JSON object/],
    [{ Tags: 'not json' }, /Tags is not valid JSON/],
    [{ KeyPolicyStatements: '{"Effect":"Allow"}' }, /JSON array/],
    [{ KeyPolicyStatements: deny({ AWS: 'arn:aws:iam::111122223333:root' }, 'kms:*') }, /lock the key out/],
    [{ KeyPolicyStatements: deny('*', 'kms:PutKeyPolicy') }, /lock the key out/],
    [{ KeyPolicyStatements: deny({ AWS: ROTATION_ROLE_ARN }, ['kms:Decrypt', '*']) }, /lock the key out/],
    [{ KeyPolicyStatements: deny({ AWS: LIFECYCLE_ROLE_ARN }, 'kms:PutKeyPolicy') }, /lock the key out/],
    [{ KeyPolicyStatements: JSON.stringify([{ Sid: 'RotationMine', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt' }]) }, /reserved/],
    [{ KeyPolicyStatements: JSON.stringify([{ Effect: 'Allow', Action: 'kms:Decrypt' }]) }, /needs a Principal/],
    [{ RotationRoleArn: 'arn:aws:iam::999999999999:role/x' }, /same account/],
    [{ LifecycleRoleArn: 'arn:aws:iam::999999999999:role/x' }, /LifecycleRoleArn must be a role of the same account/],
    [{ AccountId: '123' }, /AccountId must be 12 digits/],
    [{ PropagationWindowSeconds: '299' }, /PropagationWindowSeconds must be a whole number of seconds from 300 to 3600/],
    [{ PropagationWindowSeconds: '3601' }, /PropagationWindowSeconds/],
    [{ ScheduleHour: '24' }, /ScheduleHour must be a whole number of hours from 0 to 23/],
    [{ ScheduleTimeZone: 'Mars/Olympus' }, /ScheduleTimeZone "Mars\/Olympus" is not a time zone/],
    [{ ScheduleTimeZone: 'a b' }, /ScheduleTimeZone must be an IANA time zone name/],
    [{ EmergencyRotationsPerDay: '0' }, /EmergencyRotationsPerDay must be a whole number of emergency rotations per day from 1 to 24 \(got "0"\)/],
    [{ EmergencyRotationsPerDay: '25' }, /EmergencyRotationsPerDay must be a whole number .* from 1 to 24/],
    [{ EmergencyRotationsPerDay: '2.5' }, /EmergencyRotationsPerDay/],
    [{ StackId: 'my-stack' }, /StackId must be a CloudFormation stack id \(arn:<partition>:cloudformation:<region>:<account>:stack\/<name>\/<id>\) \(got "my-stack"\)/],
    [{ StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${'n'.repeat(129)}/1` }, /StackId must be a CloudFormation stack id/],
    [{ StackId: 'arn:aws:cloudformation:us-east-1:999999999999:stack/Platform/1' }, /StackId must be a stack of the same account and partition/],
    [{ Hostile: 'x' }, /unexpected ResourceProperties "Hostile"/],
  ])('refuses Create with %j', (override, message) => {
    expect(() => parseLifecycleRequest(cfnEvent('Create', groupProps(override)))).toThrow(message);
  });

  test('the emergency rotation limit: read when given, absent (the default, 3) in templates from before it existed', () => {
    const parsed = (props: Record<string, unknown>) => parseLifecycleRequest(cfnEvent('Create', props));
    expect(parsed(groupProps({ EmergencyRotationsPerDay: '24' }))).toMatchObject({ settings: { emergencyRotationsPerDay: 24 } });
    expect(parsed(groupProps({ EmergencyRotationsPerDay: '1' }))).toMatchObject({ settings: { emergencyRotationsPerDay: 1 } });
    const old = parsed(groupProps());
    expect(old.kind === 'create' && 'emergencyRotationsPerDay' in old.settings).toBe(false);
    expect(old.kind === 'create' && emergencyRotationsPerDayOf(old.settings)).toBe(3);
  });

  test('the stack id (the stack tag of every key the functions make): read when given, absent in templates from before it', () => {
    const parsed = (props: Record<string, unknown>) => parseLifecycleRequest(cfnEvent('Create', props));
    const stackId = `arn:aws:cloudformation:us-east-1:${groupProps().AccountId}:stack/Platform/00000000-0000-0000-0000-000000000000`;
    expect(parsed(groupProps({ StackId: stackId }))).toMatchObject({ settings: { stackId } });
    const old = parsed(groupProps());
    expect(old.kind === 'create' && 'stackId' in old.settings).toBe(false);
  });

  test('refuses unknown request types and missing properties', () => {
    expect(() => parseLifecycleRequest({ RequestType: 'Replace', ResourceProperties: groupProps() })).toThrow(/unknown RequestType "Replace"/);
    expect(() => parseLifecycleRequest({ RequestType: 'Create' })).toThrow(/ResourceProperties is missing/);
    expect(() => parseLifecycleRequest({ RequestType: 'Update', ResourceProperties: groupProps() })).toThrow(/needs PhysicalResourceId/);
  });
});
