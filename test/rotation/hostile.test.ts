/**
 * Hostile and broken input to the function: custom resource properties that try
 * to reach another group, reserved aliases, lock-out policies, keys that only
 * claim to belong to the group, and KMS answers the function does not expect.
 */
import { CreateKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { cfnEvent, groupProps, ROLE_ARN } from './fixtures';
import { Harness } from './harness';
import { invariantViolations } from './invariants';
import { TAG } from '../../lambda/rotation/tags';

const DAY = 86_400_000;
const WRITES_ON_KEY = ['ImportKeyMaterial', 'TagResource', 'UntagResource', 'PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'UpdateKeyDescription', 'CreateAlias', 'UpdateAlias'];

describe('hostile input', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  const writesTouching = (keyId: string, from: number) => h.sim.calls.list().slice(from)
    .filter((c) => c.ok && WRITES_ON_KEY.includes(c.op) && JSON.stringify(c.request).includes(keyId));

  test.each([
    ['an alias/aws/ alias', { AliasName: 'alias/aws/s3' }, /must not start with "alias\/aws\/"/],
    ['a generation alias as the user alias', { AliasName: 'alias/rotation/other/generation-1' }, /reserved for generation aliases/],
    ['a policy that denies the root everything', { KeyPolicyStatements: JSON.stringify([{ Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }]) }, /lock the key out/],
    ['a policy that denies the rotation role PutKeyPolicy', { KeyPolicyStatements: JSON.stringify([{ Effect: 'Deny', Principal: { AWS: ROLE_ARN }, Action: 'kms:PutKeyPolicy', Resource: '*' }]) }, /lock the key out/],
    ['a NotPrincipal deny of everything', { KeyPolicyStatements: JSON.stringify([{ Effect: 'Deny', NotPrincipal: { AWS: ROLE_ARN }, Action: 'kms:*', Resource: '*' }]) }, /lock the key out/],
    ['a statement impersonating the library', { KeyPolicyStatements: JSON.stringify([{ Sid: 'RotationFunctionManagement', Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }]) }, /reserved/],
    ['a role of another account', { RotationRoleArn: 'arn:aws:iam::444455556666:role/attacker' }, /same account/],
    ['a reserved tag', { Tags: JSON.stringify({ 'rotation:stage': 'retired' }) }, /must not start with "rotation:"/],
    ['too many tags', { Tags: JSON.stringify(Object.fromEntries(Array.from({ length: 36 }, (_, i) => [`t${i}`, 'v']))) }, /at most 35/],
    ['a group id with path characters', { GroupId: '../other' }, /GroupId must match/],
    ['an oversized description', { Description: 'x'.repeat(9000) }, /at most 8192/],
    ['an interval as a number word', { IntervalMonths: 'six' }, /IntervalMonths/],
  ])('Create with %s is refused before any KMS call', async (_what, override, message) => {
    const calls = h.sim.calls.count();
    await expect(h.handler()(cfnEvent('Create', groupProps({ GroupId: 'hostile', AliasName: 'alias/hostile', ...override })))).rejects.toThrow(message);
    expect(h.sim.calls.count()).toBe(calls);
  });

  test('Create with the alias of another group is refused and changes nothing', async () => {
    const handler = h.handler();
    await h.deploy(handler, { GroupId: 'victim', AliasName: 'alias/victim' });
    const writes = h.sim.calls.writes();
    await expect(h.deploy(handler, { GroupId: 'thief', AliasName: 'alias/victim' })).rejects.toThrow(/did not create; adopting an existing alias is not supported/);
    expect(h.sim.calls.writes()).toBe(writes);
    expect(h.aliasTarget('alias/victim')).toBe(h.groupKeys('victim')[0].id);
  });

  test('rotate-if-due naming another group for an alias is refused before any write', async () => {
    const handler = h.handler();
    await h.deploy(handler, { GroupId: 'owner', AliasName: 'alias/owned' });
    h.sim.clock.advance(DAY * 400);
    const writes = h.sim.calls.writes();
    await expect(handler({ action: 'rotate-if-due', aliasName: 'alias/owned', groupId: 'intruder' })).rejects.toThrow(/not a generation of key group "intruder"/);
    expect(h.sim.calls.writes()).toBe(writes);
  });

  describe('a key that only claims to belong to the group', () => {
    test('is never adopted, retired, disabled or deleted', async () => {
      const g = { groupId: 'forged', aliasName: 'alias/forged', intervalMonths: 6 };
      const handler = h.handler({ maxAttempts: 1 });
      await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName });
      const current = h.groupKeys(g.groupId)[0];
      // Someone allowed to create and tag their own keys copies the group's tags onto one,
      // shaped exactly like the half-made generation 2 a dead run would leave.
      const forged = await h.kms.send(new CreateKeyCommand({
        Origin: 'EXTERNAL',
        Description: 'not made by the rotation function',
        Tags: Object.entries({ ...current.tags, [TAG.generation]: '2', [TAG.stage]: 'pending', [TAG.previousKey]: current.id })
          .map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      }));
      const forgedId = forged.KeyMetadata!.KeyId!;
      const from = h.sim.calls.count();

      // A rotation dies right after claiming generation 2; the next run looks for a key it might have made.
      h.sim.clock.advance(DAY * 200);
      h.sim.faults.failAfter(5);
      await expect(handler({ action: 'rotate-if-due', aliasName: g.aliasName })).rejects.toThrow();
      h.sim.faults.clear();
      h.sim.clock.advance(DAY);
      await expect(handler({ action: 'rotate-if-due', aliasName: g.aliasName })).resolves.toMatchObject({ outcome: 'rotated', generation: 2 });
      expect(h.sim.calls.list().slice(from).some((c) => c.op === 'GetResources')).toBe(true);
      expect(h.aliasTarget(g.aliasName)).not.toBe(forgedId);

      // Updates and a destroying Delete walk the generation aliases, never the tags.
      await handler(cfnEvent('Update', groupProps({ GroupId: g.groupId, AliasName: g.aliasName, Tags: '{"x":"y"}' }), { OldResourceProperties: groupProps({ GroupId: g.groupId, AliasName: g.aliasName }) }));
      await handler(cfnEvent('Delete', groupProps({ GroupId: g.groupId, AliasName: g.aliasName, RemovalPolicy: 'destroy' })));

      expect(writesTouching(forgedId, from)).toEqual([]);
      expect(h.sim.state.key(forgedId)).toMatchObject({ state: 'PendingImport', description: 'not made by the rotation function' });
      expect(h.sim.state.key(forgedId)!.tags[TAG.stage]).toBe('pending');
    });

    test('behind the user alias, it is not retired: the function refuses to rotate it', async () => {
      const g = { groupId: 'hijacked', aliasName: 'alias/hijacked' };
      const handler = h.handler();
      await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName });
      const current = h.groupKeys(g.groupId)[0];
      const tags = Object.entries(current.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
      const forged = await h.kms.send(new CreateKeyCommand({ Tags: tags }));
      const forgedId = forged.KeyMetadata!.KeyId!;
      // An administrator points the alias at the look-alike key.
      await h.kms.send(new UpdateAliasCommand({ AliasName: g.aliasName, TargetKeyId: forgedId }));
      const from = h.sim.calls.count();
      await expect(handler({ action: 'rotate-now', aliasName: g.aliasName })).rejects.toThrow(/does not point at it; this function only changes keys it registered/);
      expect(writesTouching(forgedId, from)).toEqual([]);
      expect(h.sim.calls.list().slice(from).filter((c) => c.ok && (c.op === 'CreateKey' || WRITES_ON_KEY.includes(c.op)))).toEqual([]);
    });
  });

  describe('KMS answers the function does not expect', () => {
    test('an unknown key state fails the run with a clear error before any write', async () => {
      const handler = h.handler({ maxAttempts: 1 });
      await h.deploy(handler, { GroupId: 'odd-state', AliasName: 'alias/odd-state' });
      h.sim.clock.advance(DAY * 200);
      const writes = h.sim.calls.writes();
      h.sim.faults.corruptResponse('DescribeKey', (out) => ({ ...out, KeyMetadata: { ...out.KeyMetadata, KeyState: 'Frozen' } }));
      await expect(handler({ action: 'rotate-if-due', aliasName: 'alias/odd-state' })).rejects.toThrow('KMS returned unknown key state "Frozen" in DescribeKey');
      h.sim.faults.clear();
      expect(h.sim.calls.writes()).toBe(writes);
    });

    test.each([
      ['GetParametersForImport', 'PublicKey', /KMS returned no PublicKey in GetParametersForImport/],
      ['CreateKey', 'KeyMetadata', /KMS returned no KeyMetadata in CreateKey/],
      ['Encrypt', 'CiphertextBlob', /KMS returned no CiphertextBlob in Encrypt/],
      ['ListResourceTags', 'Tags', /no valid rotation:generation\/rotation:stage tags|not a generation of key group/],
    ])('a %s answer without %s fails the run clearly; the alias is untouched and the next run finishes', async (op, field, message) => {
      const g = { groupId: `missing-${op}`, aliasName: `alias/missing-${op}`, intervalMonths: 6 };
      const handler = h.handler({ maxAttempts: 1 });
      await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName });
      const before = h.aliasTarget(g.aliasName);
      const kept = [{ plaintext: 'p', ciphertext: await h.encrypt(g.aliasName, 'p') }];
      h.sim.clock.advance(DAY * 200);
      const from = h.sim.calls.count();
      h.sim.faults.corruptResponse(op, (out) => { delete out[field]; return out; });
      await expect(handler({ action: 'rotate-if-due', aliasName: g.aliasName })).rejects.toThrow(message);
      h.sim.faults.clear();
      expect(h.aliasTarget(g.aliasName)).toBe(before);
      expect(await invariantViolations(h, g, { kept, allowPending: true, callsFrom: from })).toEqual([]);
      h.sim.clock.advance(DAY);
      await expect(handler({ action: 'rotate-if-due', aliasName: g.aliasName })).resolves.toMatchObject({ outcome: 'rotated', generation: 2 });
      expect(await invariantViolations(h, g, { kept, callsFrom: from })).toEqual([]);
    });
  });
});
