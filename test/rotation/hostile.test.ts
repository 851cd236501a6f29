/**
 * Hostile input to the two entry points: events of the wrong kind, events
 * naming another group, keys that only claim to belong to the group. Each is
 * refused before any KMS or ledger call, or changes nothing of anybody's.
 */
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CallBudget } from './dying';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Harness } from './harness';
import { TAG } from '../../lambda/rotation/tags';

const HOUR = 3_600_000;
const FOREIGN_ADMIN = JSON.stringify([{ Sid: 'Backdoor', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:*', Resource: '*' }]);

describe('hostile input', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  /** Entry points that die at their first AWS call: a refusal must come before any. */
  const noCalls = () => h.functions({ budget: new CallBudget(0) });

  test.each([
    ['a CloudFormation Update that rewrites every key policy', cfnEvent('Update', groupProps({ KeyPolicyStatements: FOREIGN_ADMIN }), { OldResourceProperties: groupProps() })],
    ['a CloudFormation Delete with DESTROY', cfnEvent('Delete', groupProps({ RemovalPolicy: 'destroy' }))],
    ['a CloudFormation Create', cfnEvent('Create', groupProps())],
    ['a rotation event that carries settings', { ...rotateNow(), IntervalMonths: '120' }],
    ['a rotation event that carries a policy', { ...rotateNow(), KeyPolicyStatements: FOREIGN_ADMIN }],
    ['an unknown action', { action: 'destroy', aliasName: 'alias/telemetry' }],
  ])('the rotation entry point refuses %s before any AWS call', async (_what, event) => {
    await expect(noCalls().rotation(event)).rejects.toThrow(/Refused event/);
  });

  test('the lifecycle entry point refuses rotation events before any AWS call', async () => {
    await expect(noCalls().lifecycle(rotateNow())).rejects.toThrow(/Refused event: it is not a CloudFormation custom resource event/);
  });

  test('rotate-now naming another group for an alias is refused before any write', async () => {
    const f = h.functions();
    await h.deploy(f, { GroupId: 'owner', AliasName: 'alias/owned' });
    await h.deploy(f, { GroupId: 'intruder', AliasName: 'alias/intruder' });
    const writes = h.sim.calls.writes();
    await expect(f.rotation(rotateNow('alias/owned', 'intruder'))).rejects.toThrow(/has alias alias\/intruder, not alias\/owned/);
    await expect(f.rotation(rotateNow('alias/nobody'))).rejects.toThrow(/no key group with alias alias\/nobody/);
    expect(h.sim.calls.writes()).toBe(writes);
    expect((await h.group('owner')).rotation).toBeUndefined();
  });

  test('a key that copies the group\'s tags is never changed, through a rotation and a DESTROY', async () => {
    const f = h.functions();
    await h.deploy(f, { GroupId: 'forged', AliasName: 'alias/forged', RemovalPolicy: 'destroy' });
    const current = h.groupKeys('forged')[0];
    const forged = await h.kms.send(new CreateKeyCommand({
      Origin: 'EXTERNAL',
      Description: 'not made by the rotation function',
      Tags: Object.entries({ ...current.tags, [TAG.generation]: '2', [TAG.stage]: 'pending' }).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
    }));
    const forgedId = forged.KeyMetadata!.KeyId!;
    const from = h.sim.calls.count();
    await f.rotation(rotateNow('alias/forged', 'forged'));
    await h.runSchedule(f, HOUR, rotateIfDue('alias/forged', 'forged'));
    await f.lifecycle(cfnEvent('Delete', groupProps({ GroupId: 'forged', AliasName: 'alias/forged', RemovalPolicy: 'destroy' })));
    const touching = h.sim.calls.list().slice(from).filter((c) => JSON.stringify(c.request).includes(forgedId));
    expect(touching).toEqual([]);
    expect(h.sim.state.key(forgedId)!.state).toBe('PendingImport');
    expect((await h.group('forged')).generations.map((g) => g.keyId)).not.toContain(forgedId);
  });
});
