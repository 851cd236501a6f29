/**
 * The limit of tag-based scoping, and `protectKey`, with exactly the policies
 * the construct synthesizes and authorization propagation on: whoever holds a
 * function role's credentials can put the group tag on another key of the
 * account that has neither a group tag nor an alias (CreateKey with tags
 * needs kms:TagResource on every key; test/rotation/tag-authority.test.ts
 * shows the keys it cannot reach), and the tag-conditioned statements then
 * apply to that key; a key whose policy
 * carries the Deny that `protectKey` synthesizes refuses both roles
 * everything, and the functions rotate as before. See docs/security-model.md.
 */
import {
  CreateKeyCommand, DescribeKeyCommand, KMSClient, PutKeyPolicyCommand, ScheduleKeyDeletionCommand, TagResourceCommand,
} from '@aws-sdk/client-kms';
import * as kms from 'aws-cdk-lib/aws-kms';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Functions, Harness, SCHEDULE_PERIOD_MS } from './harness';
import { DENY_FUNCTIONS_SID } from '../../lib/private/policies';
import { resolveIntrinsics, TEST_ACCOUNT, TEST_STACK_ID } from '../construct/synthesized-policies';

const PROPAGATION_MS = 5 * 60_000;
const GROUP = 'telemetry-group';
const ROOT_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
});
const TAKEOVER = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    { Sid: 'Outsider', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:*', Resource: '*' },
  ],
});

/** The key policy the template gives the protected key, resolved as a deployment would. */
function protectedKeyPolicy(stack: DeployedStack): string {
  const keys = Object.values(stack.template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::KMS::Key' && r.Properties?.KeySpec !== 'HMAC_256');
  expect(keys).toHaveLength(1);
  return JSON.stringify(resolveIntrinsics(stack.template, keys[0].Properties.KeyPolicy));
}

describe('another key of the account, with exactly the synthesized policies', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let admin: KMSClient;
  let asLifecycle: KMSClient;
  let asRotation: KMSClient;
  beforeAll(() => {
    stack = deployedStack({}, (s, key) => key.protectKey(new kms.Key(s, 'PaymentsKey')));
  });
  beforeEach(async () => {
    h = await Harness.start({
      consistency: { seed: 5, readLagMs: 2000, newKeyNotFoundMs: 3000 },
      authorization: { principals: stack.principals, propagationMs: PROPAGATION_MS },
    }, stack.tableName, stack.sealKeyPolicies);
    const eventBusName = declareEventBridge(h.sim, stack.template);
    f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, eventBusName });
    admin = h.sim.client({ maxAttempts: 1 });
    asLifecycle = h.sim.clientFor(stack.lifecycle.accessKeyId, { maxAttempts: 1 });
    asRotation = h.sim.clientFor(stack.rotation.accessKeyId, { maxAttempts: 1 });
  });
  afterEach(async () => h.stop());

  // EXTERNAL keys: the roles' CreateKey statements also require the key properties CreateKey pins, which KMS checks on existing keys too.
  const otherKey = async (policy: string, origin: 'EXTERNAL' | 'AWS_KMS' = 'EXTERNAL') =>
    (await admin.send(new CreateKeyCommand({ Policy: policy, Description: 'payments', Origin: origin }))).KeyMetadata!.KeyId!;
  // What CreateKey's statements require as request tags (the stack id is no secret to code holding a role's credentials).
  const groupTags = [
    { TagKey: 'rotation:group', TagValue: GROUP }, { TagKey: 'rotation:stage', TagValue: 'pending' }, { TagKey: 'rotation:stack', TagValue: TEST_STACK_ID },
  ];

  test('the template gives the protected key the Deny of every KMS action to both function roles', () => {
    const policy = JSON.parse(protectedKeyPolicy(stack));
    const deny = policy.Statement.find((s: any) => s.Sid === DENY_FUNCTIONS_SID);
    expect(deny).toEqual({
      Sid: DENY_FUNCTIONS_SID,
      Effect: 'Deny',
      Principal: { AWS: expect.arrayContaining([stack.lifecycle.arn, stack.rotation.arn]) },
      Action: 'kms:*',
      Resource: '*',
    });
    expect(deny.Principal.AWS).toHaveLength(2);
  });

  test('the limit that remains: a key with neither a group tag nor an alias can be tagged with the group, and the lifecycle statements then apply to it', async () => {
    const victim = await otherKey(ROOT_ONLY);
    const other = await otherKey(ROOT_ONLY);
    h.sim.clock.advance(5000);
    // Before the tag: nothing.
    await expect(asLifecycle.send(new PutKeyPolicyCommand({ KeyId: victim, PolicyName: 'default', Policy: TAKEOVER }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(asRotation.send(new ScheduleKeyDeletionCommand({ KeyId: other, PendingWindowInDays: 7 }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // IAM cannot tell this TagResource from the one CreateKey with tags implies (docs/security-model.md).
    await asLifecycle.send(new TagResourceCommand({ KeyId: victim, Tags: groupTags }));
    await asRotation.send(new TagResourceCommand({ KeyId: other, Tags: groupTags }));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    await asLifecycle.send(new PutKeyPolicyCommand({ KeyId: victim, PolicyName: 'default', Policy: TAKEOVER }));
    await asLifecycle.send(new ScheduleKeyDeletionCommand({ KeyId: victim, PendingWindowInDays: 7 }));
    // The rotation role's sweep of dead Creates (docs/consistency.md) has the same limit as the lifecycle role's discard:
    // a key tagged pending with no user alias, with the 7-day window only (any other window is refused).
    await expect(asRotation.send(new ScheduleKeyDeletionCommand({ KeyId: other, PendingWindowInDays: 30 }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await asRotation.send(new ScheduleKeyDeletionCommand({ KeyId: other, PendingWindowInDays: 7 }));
    h.sim.clock.advance(60_000);
    expect(h.sim.state.key(other)!.state).toBe('PendingDeletion');
    expect(h.sim.state.key(victim)!.state).toBe('PendingDeletion');
    expect(JSON.parse(h.sim.state.key(victim)!.policy).Statement.map((s: any) => s.Sid)).toEqual(['EnableIamUserPermissions', 'Outsider']);
  });

  test('a key that is not what CreateKey makes (origin AWS_KMS) cannot be tagged with the group by either role', async () => {
    const kmsOrigin = await otherKey(ROOT_ONLY, 'AWS_KMS');
    h.sim.clock.advance(5000);
    for (const client of [asLifecycle, asRotation]) {
      await expect(client.send(new TagResourceCommand({ KeyId: kmsOrigin, Tags: groupTags }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
  });

  test('a protected key refuses both roles everything, tagged or not, and the group rotates as before', async () => {
    const payments = await otherKey(protectedKeyPolicy(stack));
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    for (const client of [asLifecycle, asRotation]) {
      await expect(client.send(new TagResourceCommand({ KeyId: payments, Tags: groupTags }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(client.send(new DescribeKeyCommand({ KeyId: payments }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(client.send(new PutKeyPolicyCommand({ KeyId: payments, PolicyName: 'default', Policy: TAKEOVER }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(client.send(new ScheduleKeyDeletionCommand({ KeyId: payments, PendingWindowInDays: 7 }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
    // Even tagged by an administrator, it stays out of the roles' reach.
    await admin.send(new TagResourceCommand({ KeyId: payments, Tags: groupTags }));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    await expect(asRotation.send(new ScheduleKeyDeletionCommand({ KeyId: payments, PendingWindowInDays: 7 }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(asLifecycle.send(new PutKeyPolicyCommand({ KeyId: payments, PolicyName: 'default', Policy: TAKEOVER }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(h.sim.state.key(payments)!.state).toBe('PendingImport'); // EXTERNAL, no material imported: not PendingDeletion

    const before = h.sim.authorization.decisions.list().filter((x) => x.denied > 0).length;
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    await h.runSchedule(f, 6 * SCHEDULE_PERIOD_MS, stack.scheduleInput);
    const rec = await h.group(GROUP);
    expect(rec.generations.map((g) => [g.n, g.stage])).toEqual([[1, 'retired'], [2, 'current']]);
    const functions = [stack.lifecycle.arn, stack.rotation.arn];
    const deniedSince = h.sim.authorization.decisions.list().filter((x) => x.denied > 0 && functions.includes(x.principal));
    // The refusals above are the only ones: the rotation was never denied.
    expect(deniedSince.reduce((n, x) => n + x.denied, 0)).toBe(10);
    expect(before).toBeGreaterThan(0);
    expect(h.log.errors()).toEqual([]);
  });
});
