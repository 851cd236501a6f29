/**
 * Tags never widen authority, with exactly the policies the construct
 * synthesizes (RemovalPolicy.RETAIN, Retention.deleteAfter: the rotation role
 * at its widest), authorization propagation and eventual consistency on.
 *
 * The attack this guards against: with the rotation role's credentials (a
 * compromised bundled dependency), tag the current key `rotation:stage` =
 * `pending`, wait for the tag to reach authorization, then
 * `ScheduleKeyDeletion` it. The group tag and stage `pending` are written by
 * `CreateKey` only; no role may disable or delete a key a user alias points
 * at (docs/security-model.md).
 */
import {
  CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, KMSClient, ScheduleKeyDeletionCommand, TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-kms';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Functions, Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { Retention, RotationInterval } from '../../lib';
import { TEST_ACCOUNT } from '../construct/synthesized-policies';
import { MS_PER_DAY } from '../kms-simulator';

const PROPAGATION_MS = 5 * 60_000;
const GROUP = 'telemetry-group';
const ROOT_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
});
const denied = { name: 'AccessDeniedException' };

describe('tags never widen authority, with exactly the synthesized policies', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let admin: KMSClient;
  let asLifecycle: KMSClient;
  let asRotation: KMSClient;
  beforeAll(() => {
    stack = deployedStack({
      rotationInterval: RotationInterval.months(1),
      removalPolicy: RemovalPolicy.RETAIN,
      retention: Retention.deleteAfter(Duration.days(30), { quietPeriod: Duration.days(7), pendingWindow: Duration.days(7) }),
    });
  });
  beforeEach(async () => {
    h = await Harness.start({
      consistency: { seed: 11, readLagMs: 2000, newKeyNotFoundMs: 3000 },
      authorization: { principals: stack.principals, propagationMs: PROPAGATION_MS },
    }, stack.tableName, stack.sealKeyPolicies);
    const eventBusName = declareEventBridge(h.sim, stack.template);
    f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, eventBusName });
    admin = h.sim.client({ maxAttempts: 1 });
    asLifecycle = h.sim.clientFor(stack.lifecycle.accessKeyId, { maxAttempts: 1 });
    asRotation = h.sim.clientFor(stack.rotation.accessKeyId, { maxAttempts: 1 });
  });
  afterEach(async () => h.stop());

  const roles = () => [['lifecycle', asLifecycle], ['rotation', asRotation]] as const;
  const functionDenials = () => h.sim.authorization.decisions.list()
    .filter((x) => x.denied > 0 && [stack.lifecycle.arn, stack.rotation.arn].includes(x.principal))
    .reduce((n, x) => n + x.denied, 0);

  /** Runs the schedule around the group's next due date until the rotation completed. */
  async function rotateAtDueDate(): Promise<void> {
    const due = new Date((await h.group(GROUP)).nextDueAt!);
    const start = new Date(due);
    start.setUTCHours(1, 55, 0, 0);
    if (start.getTime() < due.getTime() - 60 * 60_000) start.setTime(start.getTime() + MS_PER_DAY);
    h.sim.clock.set(start);
    const outcomes = await h.runSchedule(f, 3 * 60 * 60_000, stack.scheduleInput);
    expect(outcomes.map((o) => o.outcome)).toContain('completed');
  }

  test('the rotation role cannot tag the current key pending, and neither role may delete or disable the alias target whatever its tags', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const current = currentGeneration(await h.group(GROUP))!;
    const before = functionDenials();
    // The attack as reported: the stage tag first.
    await expect(asRotation.send(new TagResourceCommand({ KeyId: current.keyId, Tags: [{ TagKey: 'rotation:stage', TagValue: 'pending' }] }))).rejects.toMatchObject(denied);
    // Nor with the group tag in the same request (the statement CreateKey with tags needs), nor through the lifecycle role.
    for (const [, client] of roles()) {
      await expect(client.send(new TagResourceCommand({
        KeyId: current.keyId, Tags: [{ TagKey: 'rotation:group', TagValue: GROUP }, { TagKey: 'rotation:stage', TagValue: 'pending' }],
      }))).rejects.toMatchObject(denied);
    }
    expect(h.sim.state.key(current.keyId)!.tags['rotation:stage']).toBe('current');
    // Even if an administrator labelled it pending, then retired: the alias still points at it, so nothing deletes or disables it.
    for (const stage of ['pending', 'retired']) {
      await admin.send(new TagResourceCommand({ KeyId: current.keyId, Tags: [{ TagKey: 'rotation:stage', TagValue: stage }] }));
      h.sim.clock.advance(PROPAGATION_MS + 1000);
      for (const [, client] of roles()) {
        await expect(client.send(new ScheduleKeyDeletionCommand({ KeyId: current.keyId, PendingWindowInDays: 7 }))).rejects.toMatchObject(denied);
      }
      await expect(asRotation.send(new DisableKeyCommand({ KeyId: current.keyId }))).rejects.toMatchObject(denied);
    }
    expect(h.sim.state.key(current.keyId)!.state).toBe('Enabled');
    expect(functionDenials() - before).toBe(1 + 2 + 2 * (2 + 1));
  });

  test('the stack tag is written by CreateKey only: neither role may write, change or remove it afterwards, nor put it on a key without it', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const current = currentGeneration(await h.group(GROUP))!;
    expect(h.sim.state.key(current.keyId)!.tags['rotation:stack']).toBe(stack.resourceProperties.StackId);
    const bare = (await admin.send(new CreateKeyCommand({ Policy: ROOT_ONLY, Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!;
    h.sim.clock.advance(60_000);
    await admin.send(new CreateAliasCommand({ AliasName: 'alias/someone-elses', TargetKeyId: bare }));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const before = functionDenials();
    for (const [, client] of roles()) {
      for (const keyId of [current.keyId, bare]) {
        await expect(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'rotation:stack', TagValue: 'arn:aws:cloudformation:us-east-1:111122223333:stack/Other/1' }] })))
          .rejects.toMatchObject(denied);
        await expect(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'rotation:stack', TagValue: stack.resourceProperties.StackId }] })))
          .rejects.toMatchObject(denied);
      }
      await expect(client.send(new UntagResourceCommand({ KeyId: current.keyId, TagKeys: ['rotation:stack'] }))).rejects.toMatchObject(denied);
    }
    expect(h.sim.state.key(current.keyId)!.tags['rotation:stack']).toBe(stack.resourceProperties.StackId);
    expect(h.sim.state.key(bare)!.tags['rotation:stack']).toBeUndefined();
    expect(functionDenials() - before).toBe(2 * (2 * 2 + 1));
  });

  test('neither role can put the group tag on another EXTERNAL key that has an alias or another group\'s tag', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const external = async () => (await admin.send(new CreateKeyCommand({ Policy: ROOT_ONLY, Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!;
    const aliased = await external();
    h.sim.clock.advance(5000); // KMS shows a new key only after a few seconds
    await admin.send(new CreateAliasCommand({ AliasName: 'alias/payments', TargetKeyId: aliased }));
    const otherGroup = await external();
    h.sim.clock.advance(5000);
    await admin.send(new TagResourceCommand({ KeyId: otherGroup, Tags: [{ TagKey: 'rotation:group', TagValue: 'billing-group' }] }));
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const requests = [
      [{ TagKey: 'rotation:group', TagValue: GROUP }],
      [{ TagKey: 'rotation:group', TagValue: GROUP }, { TagKey: 'rotation:stage', TagValue: 'pending' }],
    ];
    for (const [, client] of roles()) {
      for (const keyId of [aliased, otherGroup]) {
        for (const Tags of requests) await expect(client.send(new TagResourceCommand({ KeyId: keyId, Tags }))).rejects.toMatchObject(denied);
      }
    }
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    for (const [, client] of roles()) {
      for (const keyId of [aliased, otherGroup]) {
        await expect(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))).rejects.toMatchObject(denied);
      }
    }
    expect(h.sim.state.key(aliased)!.tags['rotation:group']).toBeUndefined();
    expect(h.sim.state.key(otherGroup)!.tags['rotation:group']).toBe('billing-group');
  });

  test('the story still works: Create, monthly rotations through the fence, retention disables and deletes old retired generations; the functions are never denied', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    for (let i = 0; i < 5; i++) {
      await rotateAtDueDate();
      // An idle run half-way to the next due date: retention acts on any run.
      h.sim.clock.set(new Date(Date.parse((await h.group(GROUP)).nextDueAt!) - 14 * MS_PER_DAY));
      await h.runSchedule(f, 60 * 60_000, stack.scheduleInput);
    }
    const rec = await h.group(GROUP);
    const byN = new Map(rec.generations.map((g) => [g.n, g]));
    expect(rec.generations.map((g) => [g.n, g.stage, !!g.fencedAt])).toEqual([
      [1, 'retired', true], [2, 'retired', true], [3, 'retired', true], [4, 'retired', true], [5, 'retired', true], [6, 'current', false],
    ]);
    // The oldest were disabled, then scheduled for deletion a quiet period later; the current and previous stay enabled.
    // KMS deletes a key once its 7-day pending window has passed.
    const state = (n: number) => h.sim.state.key(byN.get(n)!.keyId)?.state ?? 'Deleted';
    expect(byN.get(1)!.deletionScheduledAt).toBeDefined();
    expect(['PendingDeletion', 'Deleted']).toContain(state(1));
    expect(byN.get(2)!.disabledAt).toBeDefined();
    expect(['Disabled', 'PendingDeletion', 'Deleted']).toContain(state(2));
    for (const n of [5, 6]) expect([n, state(n)]).toEqual([n, 'Enabled']);
    // Labels still follow the ledger (the relabelling writes neither the group tag nor stage pending).
    for (const g of rec.generations.filter((x) => h.sim.state.key(x.keyId) !== undefined)) {
      const tags = h.sim.state.key(g.keyId)!.tags;
      expect([g.n, tags['rotation:group'], tags['rotation:stage']]).toEqual([g.n, GROUP, g.stage]);
    }
    expect(functionDenials()).toBe(0);
    expect(h.log.errors()).toEqual([]);
  });
});
