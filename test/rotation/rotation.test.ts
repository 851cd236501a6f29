import { cfnEvent, groupProps } from './fixtures';
import { Harness } from './harness';
import { invariantViolations } from './invariants';
import { addCalendarMonths } from '../../lambda/rotation/dates';
import { TAG } from '../../lambda/rotation/tags';

const DAY = 86_400_000;

describe('rotation against the simulator', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  const group = (n: number) => ({ groupId: `group-${n}`, aliasName: `alias/app-${n}`, intervalMonths: 6 });
  let callsFrom = 0;
  beforeEach(() => { callsFrom = h.sim.calls.count(); });
  const deployGroup = async (n: number, extra: Record<string, unknown> = {}) => {
    const handler = h.handler();
    const g = group(n);
    const r = await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName, ...extra });
    return { handler, g, r };
  };

  test('Create leaves generation 1 current behind the alias, with material, tags, policy and data', async () => {
    const { r, g } = await deployGroup(1);
    const keys = h.groupKeys(g.groupId);
    expect(keys).toHaveLength(1);
    const k = keys[0];
    expect(k).toMatchObject({ state: 'Enabled', hasMaterial: true, origin: 'EXTERNAL', description: 'Telemetry data key', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    expect(k.tags).toMatchObject({
      [TAG.group]: g.groupId,
      [TAG.generation]: '1',
      [TAG.stage]: 'current',
      [TAG.alias]: g.aliasName,
      [TAG.intervalMonths]: '6',
      [TAG.wrapping]: 'RSAES_OAEP_SHA_256/RSA_4096',
      team: 'platform',
      [TAG.activatedAt]: '2026-01-01T03:00:00.000Z',
      [TAG.nextDueAt]: '2026-07-01T03:00:00.000Z',
    });
    expect(h.aliasTarget(g.aliasName)).toBe(k.id);
    expect(r).toEqual({
      PhysicalResourceId: g.groupId,
      Data: { KeyId: k.id, KeyArn: k.arn, AliasName: g.aliasName, AliasArn: `arn:aws:kms:us-east-1:111122223333:${g.aliasName}`, Generation: '1' },
    });
    expect(await invariantViolations(h, g, { callsFrom })).toEqual([]);
  });

  test('a repeated Create of the same group is idempotent; an alias of a foreign key is refused', async () => {
    const { handler, g } = await deployGroup(2);
    const before = h.sim.calls.writes();
    await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName });
    expect(h.sim.calls.writes()).toBe(before);
    expect(h.groupKeys(g.groupId)).toHaveLength(1);
    await expect(h.deploy(handler, { GroupId: 'intruder', AliasName: g.aliasName })).rejects.toThrow(/already exists and points at key .* which this key group did not create/);
    expect(h.groupKeys('intruder')).toHaveLength(0);
  });

  test('not-due runs write nothing and log when the group is due', async () => {
    const { handler, g } = await deployGroup(3);
    const writes = h.sim.calls.writes();
    const calls = h.sim.calls.count();
    h.sim.clock.advance(DAY * 30);
    const r = await handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    expect(r).toEqual({ outcome: 'not-due', generation: 1, nextDueAt: '2026-07-01T03:00:00.000Z' });
    expect(h.sim.calls.writes()).toBe(writes);
    expect(h.sim.calls.count() - calls).toBe(3); // DescribeKey(alias), ListResourceTags, DescribeKey(claim)
    expect(h.log.lines.some((l) => l.message === 'not due' && l.attributes.nextDueAt === '2026-07-01T03:00:00.000Z')).toBe(true);
  });

  test('emergency rotation rotates at once, moves the next due date, and a retry does not rotate again', async () => {
    const { handler, g } = await deployGroup(4);
    h.sim.clock.advance(DAY * 10);
    const now = h.sim.clock.now();
    const r = await handler({ action: 'rotate-now', aliasName: g.aliasName });
    expect(r).toMatchObject({ outcome: 'rotated', generation: 2 });
    const keys = h.groupKeys(g.groupId);
    expect(keys.map((k) => k.tags[TAG.stage])).toEqual(['retired', 'current']);
    expect(keys[1].tags[TAG.activatedAt]).toBe(now.toISOString());
    expect(keys[1].tags[TAG.nextDueAt]).toBe(addCalendarMonths(now, 6).toISOString());
    expect(keys[0].tags[TAG.retiredAt]).toBe(now.toISOString());
    const again = await handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    expect(again).toMatchObject({ outcome: 'not-due', generation: 2 });
    expect(await invariantViolations(h, g, { emergencies: 1, callsFrom })).toEqual([]);
  });

  test('one rotation costs 15 KMS calls', async () => {
    const { handler, g } = await deployGroup(5);
    h.sim.clock.advance(DAY * 200);
    const before = h.sim.calls.byOperation();
    const total = h.sim.calls.count();
    await handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    const after = h.sim.calls.byOperation();
    const delta = Object.fromEntries(Object.keys(after).map((op) => [op, after[op] - (before[op] ?? 0)]).filter(([, n]) => n !== 0));
    expect(delta).toEqual({
      DescribeKey: 2,
      ListResourceTags: 1,
      GetKeyPolicy: 1,
      CreateAlias: 1,
      CreateKey: 1,
      UpdateAlias: 2,
      GetParametersForImport: 1,
      ImportKeyMaterial: 1,
      Encrypt: 1,
      Decrypt: 1,
      PutKeyPolicy: 1,
      TagResource: 2,
    });
    expect(h.sim.calls.count() - total).toBe(15);
  });

  test('throttling of GetParametersForImport (1 request/s) is retried with backoff', async () => {
    const { g } = await deployGroup(6);
    h.sim.clock.advance(DAY * 200);
    h.sim.faults.throttle('GetParametersForImport', 2);
    const r = await h.handler({ maxAttempts: 5 })({ action: 'rotate-if-due', aliasName: g.aliasName });
    expect(r).toMatchObject({ outcome: 'rotated', generation: 2 });
    const gpfi = h.sim.calls.list().filter((c) => c.op === 'GetParametersForImport').slice(-3);
    expect(gpfi.map((c) => c.error ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
    h.sim.faults.clear();
  });

  test('concurrent invocations: exactly one new generation; the others report in-progress', async () => {
    const { g } = await deployGroup(7);
    h.sim.clock.advance(DAY * 200);
    const handlers = Array.from({ length: 10 }, () => h.handler());
    const results = await Promise.all(handlers.map((fn, i) => fn({ action: i % 2 ? 'rotate-now' : 'rotate-if-due', aliasName: g.aliasName })));
    const outcomes = results.map((r) => ('outcome' in r ? r.outcome : 'cfn'));
    expect(outcomes.filter((o) => o === 'rotated')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'in-progress')).toHaveLength(9);
    expect(h.groupKeys(g.groupId)).toHaveLength(2);
    expect(await invariantViolations(h, g, { callsFrom })).toEqual([]);
  });

  test('malformed events and invalid configuration are refused with no KMS call', async () => {
    const handler = h.handler();
    const calls = h.sim.calls.count();
    for (const bad of [
      null, 'x', [], {}, { action: 'rotate-later', aliasName: 'alias/a' }, { action: 'rotate-now', aliasName: 'alias/aws/s3' },
      cfnEvent('Create', groupProps({ IntervalMonths: '0' })), cfnEvent('Create', groupProps({ AliasName: 'nope' })),
      { RequestType: 'Create', ResourceProperties: 'x' },
    ]) {
      await expect(handler(bad)).rejects.toThrow(/Refused event|must|expected/);
    }
    expect(h.sim.calls.count()).toBe(calls);
  });

  test('Update applies policy, description and tags to every generation and renames the alias', async () => {
    const { handler, g } = await deployGroup(8);
    h.sim.clock.advance(DAY * 200);
    await handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    const statement = { Sid: 'AllowAuditRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/audit' }, Action: 'kms:DescribeKey', Resource: '*' };
    const props = groupProps({ GroupId: g.groupId, AliasName: 'alias/app-8-renamed', Description: 'new words', Tags: '{"cost-center":"42"}', KeyPolicyStatements: JSON.stringify([statement]), IntervalMonths: '3' });
    const r = await handler(cfnEvent('Update', props, { OldResourceProperties: groupProps({ GroupId: g.groupId, AliasName: g.aliasName }) }));
    expect(r).toMatchObject({ PhysicalResourceId: g.groupId, Data: { AliasName: 'alias/app-8-renamed', Generation: '2' } });
    const keys = h.groupKeys(g.groupId);
    for (const k of keys) {
      expect(k.description).toBe('new words');
      expect(k.tags['cost-center']).toBe('42');
      expect(k.tags.team).toBeUndefined();
      expect(k.tags[TAG.alias]).toBe('alias/app-8-renamed');
      expect(JSON.parse(k.policy).Statement).toContainEqual(statement);
    }
    expect(JSON.parse(keys[0].policy).Statement.map((s: { Sid: string }) => s.Sid)).toContain('RotationRetiredDecryptOnly');
    expect(keys[1].tags[TAG.nextDueAt]).toBe(addCalendarMonths(new Date(keys[1].tags[TAG.activatedAt]), 3).toISOString());
    expect(h.aliasTarget('alias/app-8-renamed')).toBe(keys[1].id);
    expect(h.aliasTarget(g.aliasName)).toBeUndefined();
  });

  test('Delete with RETAIN keeps everything; with DESTROY schedules every generation and never fails on what is gone', async () => {
    const { handler, g } = await deployGroup(9);
    h.sim.clock.advance(DAY * 200);
    await handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    await handler(cfnEvent('Delete', groupProps({ GroupId: g.groupId, AliasName: g.aliasName })));
    expect(h.groupKeys(g.groupId).map((k) => k.state)).toEqual(['Enabled', 'Enabled']);

    const destroy = groupProps({ GroupId: g.groupId, AliasName: g.aliasName, RemovalPolicy: 'destroy', PendingWindowDays: '7' });
    await handler(cfnEvent('Delete', destroy));
    const keys = h.groupKeys(g.groupId);
    expect(keys.map((k) => k.state)).toEqual(['PendingDeletion', 'PendingDeletion']);
    expect(keys[0].deletionDate!.getTime() - h.sim.clock.now().getTime()).toBe(7 * DAY);
    expect(h.aliasTarget(g.aliasName)).toBeUndefined();
    expect(h.sim.state.aliases().filter((a) => a.AliasName.startsWith(`alias/rotation/${g.groupId}/`))).toEqual([]);

    await expect(handler(cfnEvent('Delete', destroy))).resolves.toEqual({ PhysicalResourceId: g.groupId });
    await expect(handler(cfnEvent('Delete', groupProps({ GroupId: 'never-existed', RemovalPolicy: 'destroy' })))).resolves.toEqual({ PhysicalResourceId: 'never-existed' });
  });

  test('material that expires: KEY_MATERIAL_EXPIRES with the configured validity', async () => {
    const { g } = await deployGroup(10, { MaterialValidityDays: '90', WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const k = h.groupKeys(g.groupId)[0];
    expect(k.expirationModel).toBe('KEY_MATERIAL_EXPIRES');
    const days = (k.validTo!.getTime() - h.sim.clock.now().getTime()) / DAY;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
  });
});
