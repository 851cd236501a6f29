import { cfnEvent, groupProps, ROLE_ARN } from './fixtures';
import { InvalidRequestError } from '../../lambda/rotation/errors';
import { parseRequest } from '../../lambda/rotation/requests';

describe('parseRequest: schedule and emergency events', () => {
  test('rotate-if-due and rotate-now', () => {
    expect(parseRequest({ action: 'rotate-if-due', aliasName: 'alias/a', groupId: 'g-1' })).toEqual({ kind: 'rotate', force: false, aliasName: 'alias/a', groupId: 'g-1' });
    expect(parseRequest({ action: 'rotate-now', aliasName: 'alias/a' })).toEqual({ kind: 'rotate', force: true, aliasName: 'alias/a', groupId: undefined });
  });

  test.each([
    [null, /not an object/],
    [[1, 2], /an array/],
    ['rotate', /string, not an object/],
    [{}, /neither "action" nor "RequestType"/],
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
    expect(() => parseRequest(event)).toThrow(InvalidRequestError);
    expect(() => parseRequest(event)).toThrow(message);
  });

  test('the refusal says what was expected', () => {
    expect(() => parseRequest({ hello: 'world' })).toThrow(/expected \{"action":"rotate-if-due"\|"rotate-now"/);
  });
});

describe('parseRequest: custom resource events', () => {
  test('Create with defaults', () => {
    const r = parseRequest(cfnEvent('Create', groupProps()));
    expect(r.kind).toBe('create');
    if (r.kind !== 'create') return;
    expect(r.spec.settings).toMatchObject({ groupId: 'telemetry-group', aliasName: 'alias/telemetry', intervalMonths: 6, materialValidityDays: 0, userTags: { team: 'platform' } });
    expect(r.spec.settings.policy.Statement.map((s) => s.Sid)).toEqual(['EnableIamUserPermissions', 'RotationFunctionManagement']);
    expect(r.spec.removalPolicy).toBe('retain');
  });

  test('Update carries the old alias; Delete is lenient about broken properties', () => {
    const u = parseRequest(cfnEvent('Update', groupProps({ AliasName: 'alias/new' }), { OldResourceProperties: groupProps() }));
    expect(u).toMatchObject({ kind: 'update', oldAliasName: 'alias/telemetry', physicalResourceId: 'telemetry-group' });
    const del = parseRequest(cfnEvent('Delete', { GroupId: 'telemetry-group', IntervalMonths: 'banana', RemovalPolicy: 'destroy', PendingWindowDays: '9' }));
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
    [{ KeyPolicyStatements: deny({ AWS: ROLE_ARN }, ['kms:Decrypt', '*']) }, /lock the key out/],
    [{ KeyPolicyStatements: JSON.stringify([{ Sid: 'RotationMine', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt' }]) }, /reserved/],
    [{ KeyPolicyStatements: JSON.stringify([{ Effect: 'Allow', Action: 'kms:Decrypt' }]) }, /needs a Principal/],
    [{ RotationRoleArn: 'arn:aws:iam::999999999999:role/x' }, /same account/],
    [{ AccountId: '123' }, /AccountId must be 12 digits/],
    [{ Hostile: 'x' }, /unexpected ResourceProperties "Hostile"/],
  ])('refuses Create with %j', (override, message) => {
    expect(() => parseRequest(cfnEvent('Create', groupProps(override)))).toThrow(message);
  });

  test('refuses unknown request types and missing properties', () => {
    expect(() => parseRequest({ RequestType: 'Replace', ResourceProperties: groupProps() })).toThrow(/unknown RequestType "Replace"/);
    expect(() => parseRequest({ RequestType: 'Create' })).toThrow(/ResourceProperties is missing/);
    expect(() => parseRequest({ RequestType: 'Update', ResourceProperties: groupProps() })).toThrow(/needs PhysicalResourceId/);
  });
});
