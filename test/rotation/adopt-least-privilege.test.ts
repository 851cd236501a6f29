/**
 * Adoption with exactly the IAM policies the construct synthesizes for a stack
 * with `adopt`, through the simulator's evaluation of identity and key
 * policies, with eventual consistency and authorization propagation on (tags
 * reach authorization 5 minutes late): the functions are never denied, a
 * writer granted with grantEncrypt is never denied through the alias, the
 * adopted key refuses encryption once fenced (on opt-in only), and the
 * rotation role cannot change the policy of a key adopted without the fence.
 */
import { DecryptCommand, EncryptCommand, GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { ownersKey, ownersPolicy } from './adopt-fixtures';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { SID } from '../../lambda/rotation/policy';
import { AdoptExisting } from '../../lib';
import { TEST_ACCOUNT } from '../construct/synthesized-policies';

const PROPAGATION_MS = 5 * 60_000;
const ALIAS = 'alias/telemetry';

describe.each([
  ['AWS_KMS', false],
  ['EXTERNAL', true],
] as const)('adopting an %s key (fence %s) with exactly the synthesized policies', (origin, fence) => {
  let stack: DeployedStack;
  let h: Harness;
  beforeAll(() => { stack = deployedStack({ adopt: AdoptExisting.alias({ fence }) }); });
  beforeEach(async () => {
    h = await Harness.start({
      consistency: { seed: 5, readLagMs: 2000, newKeyNotFoundMs: 3000 },
      authorization: { principals: stack.principals, propagationMs: PROPAGATION_MS },
    }, stack.tableName, stack.sealKeyPolicies);
  });
  afterEach(async () => h.stop());

  test('deploy, staged promotion and fence: nobody granted and no function is ever denied; the old ciphertext decrypts', async () => {
    const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials } });
    const writer = h.sim.clientFor(stack.writer.accessKeyId, { maxAttempts: 1 });
    const reader = h.sim.clientFor(stack.reader.accessKeyId, { maxAttempts: 1 });
    const admin: KMSClient = h.sim.client({ maxAttempts: 1 });
    const adoptedId = await ownersKey(admin, origin, TEST_ACCOUNT, ALIAS, () => h.sim.clock.advance(5000));
    // The alias pointed at the owner's key long before the stack.
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const old = await admin.send(new EncryptCommand({ KeyId: ALIAS, Plaintext: Buffer.from('before the stack') }));
    const created = await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    expect(created.Data).toMatchObject({ KeyId: adoptedId, Generation: '0' });
    const written: Uint8Array[] = [];
    const write = async () => {
      const r = await writer.send(new EncryptCommand({ KeyId: ALIAS, Plaintext: Buffer.from('through the alias') }));
      written.push(r.CiphertextBlob!);
    };
    // Right after the Create (the adopted key's group tag not yet authorizable) and between every scheduled run,
    // the first of which comes a minute after the Create (the schedule is made right after the custom resource).
    await write();
    h.sim.clock.advance(60_000);
    expect((await f.rotation(stack.scheduleInput)).outcome).toBe('in-progress');
    for (let i = 0; i < 6; i++) {
      h.sim.clock.advance(10 * 60_000);
      await f.rotation(stack.scheduleInput);
      await write();
      h.sim.clock.advance(60_000);
      await write();
    }
    const rec = await h.group('telemetry-group');
    expect(rec.rotation).toBeUndefined();
    expect(rec.generations.map((g) => [g.n, g.stage, g.fencedAt !== undefined])).toEqual([[0, 'retired', fence], [1, 'current', false]]);
    expect(h.aliasTarget(ALIAS)).toBe(currentGeneration(rec)!.keyId);
    // The reader granted with grantDecrypt reads everything: the adopted key carries the group tag.
    for (const c of [old.CiphertextBlob!, ...written]) {
      expect(Buffer.from((await reader.send(new DecryptCommand({ CiphertextBlob: c }))).Plaintext!).toString()).toMatch(/before the stack|through the alias/);
    }
    expect(written.length).toBe(13);
    expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation: 'DescribeKey' })).toBeGreaterThan(0);
    const functions = [stack.lifecycle.arn, stack.rotation.arn, stack.writer.arn, stack.reader.arn];
    expect(h.sim.authorization.decisions.list().filter((x) => x.denied > 0 && functions.includes(x.principal))).toEqual([]);
    expect(h.log.errors()).toEqual([]);

    // Once the fence (or its absence) has propagated: the adopted key's own statements are all still there.
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const policy = JSON.parse((await admin.send(new GetKeyPolicyCommand({ KeyId: adoptedId, PolicyName: 'default' }))).Policy!);
    expect(policy.Statement.slice(0, 2)).toEqual(ownersPolicy(TEST_ACCOUNT).Statement);
    const byKeyId = admin.send(new EncryptCommand({ KeyId: adoptedId, Plaintext: Buffer.from('x') }));
    if (fence) {
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toContain(SID.retiredFence);
      await expect(byKeyId).rejects.toMatchObject({ name: 'AccessDeniedException' });
    } else {
      expect(policy.Statement).toHaveLength(2);
      // Other principals that encrypt with the adopted key by its id keep doing so.
      await expect(byKeyId).resolves.toMatchObject({ KeyId: expect.stringContaining(adoptedId) });
      // And the rotation role cannot change its policy (its PutKeyPolicy statement excludes the no-fence label).
      const rotation = h.sim.clientFor(stack.rotation.accessKeyId, { maxAttempts: 1 });
      await expect(rotation.send(new PutKeyPolicyCommand({ KeyId: adoptedId, PolicyName: 'default', Policy: JSON.stringify(ownersPolicy(TEST_ACCOUNT)) })))
        .rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
  });

  test('refused before any write with the synthesized policies: a key another group manages', async () => {
    const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials } });
    const admin = h.sim.client({ maxAttempts: 1 });
    const keyId = await ownersKey(admin, origin, TEST_ACCOUNT, ALIAS, () => h.sim.clock.advance(5000));
    await admin.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'rotation:group', TagValue: 'payments-group' }] }));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    await expect(f.lifecycle(cfnEvent('Create', stack.resourceProperties))).rejects.toThrow(/already managed by key group payments-group/);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
    expect(h.keysBesidesSeals()).toHaveLength(1);
  });
});
