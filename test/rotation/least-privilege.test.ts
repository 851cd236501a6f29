/**
 * The functions run with exactly the IAM policies the construct synthesizes,
 * through the simulator's evaluation of identity and key policies, with
 * eventual consistency and authorization propagation on: a writer granted by
 * grantEncrypt and a reader granted by grantDecrypt are never denied at any
 * moment of a rotation, and a retired generation refuses encryption once its
 * fence has propagated.
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { Duration } from 'aws-cdk-lib';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Functions, Harness, SCHEDULE_PERIOD_MS } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { Retention, RotationInterval } from '../../lib';
import { ledgerTableArn, TEST_ACCOUNT } from '../construct/synthesized-policies';
import { evaluateIdentityPolicies } from '../iam';
import { MS_PER_DAY } from '../kms-simulator';

const HOUR = 3_600_000;
const PROPAGATION_MS = 5 * 60_000;

describe('least privilege, with authorization propagation and eventual consistency', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let writer: KMSClient;
  let reader: KMSClient;
  beforeAll(() => { stack = deployedStack(); });
  beforeEach(async () => {
    h = await Harness.start({
      consistency: { seed: 7, readLagMs: 2000, newKeyNotFoundMs: 3000 },
      authorization: { principals: stack.principals, propagationMs: PROPAGATION_MS },
    }, stack.tableName, stack.sealKeyPolicies);
    const eventBusName = declareEventBridge(h.sim, stack.template);
    f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, eventBusName });
    writer = h.sim.clientFor(stack.writer.accessKeyId, { maxAttempts: 1 });
    reader = h.sim.clientFor(stack.reader.accessKeyId, { maxAttempts: 1 });
  });
  afterEach(async () => h.stop());

  const create = () => f.lifecycle(cfnEvent('Create', stack.resourceProperties));

  test('two rotations, an update and a DESTROY: nobody granted is ever denied, the functions are never denied', async () => {
    await create();
    // Grants conditioned on the alias and the group tag take effect once they propagated, as for any new key.
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const kept: Array<{ plaintext: string; ciphertext: Uint8Array }> = [];
    const writeAndReadAll = async (label: string) => {
      const plaintext = `${label} @ ${h.sim.clock.now().toISOString()}`;
      const r = await writer.send(new EncryptCommand({ KeyId: 'alias/telemetry', Plaintext: Buffer.from(plaintext) }));
      kept.push({ plaintext, ciphertext: r.CiphertextBlob! });
      for (const k of kept) {
        const d = await reader.send(new DecryptCommand({ CiphertextBlob: k.ciphertext }));
        expect(Buffer.from(d.Plaintext!).toString()).toBe(k.plaintext);
      }
    };
    await writeAndReadAll('after deploy');
    // An emergency rotation, then the writer and reader act between every scheduled run (every 10 minutes) and
    // one minute after each, so both sides of each propagation window are exercised.
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    const between = async () => {
      await writeAndReadAll('run');
      h.sim.clock.advance(60_000);
      await writeAndReadAll('a minute later');
    };
    await h.runSchedule(f, HOUR, stack.scheduleInput, between);
    // The scheduled rotation six months on, in the configured hour.
    h.sim.clock.set(new Date('2026-07-02T02:00:00Z'));
    await h.runSchedule(f, 3 * HOUR, stack.scheduleInput, between);
    const rec = await h.group('telemetry-group');
    expect(rec.generations.map((g) => [g.n, g.stage, !!g.fencedAt])).toEqual([[1, 'retired', true], [2, 'retired', true], [3, 'current', false]]);
    const updated = { ...stack.resourceProperties, Description: 'updated', Tags: JSON.stringify({ owner: 'platform' }) };
    await f.lifecycle(cfnEvent('Update', updated, { OldResourceProperties: stack.resourceProperties }));
    await writeAndReadAll('after update');
    expect(rec.generations.map((g) => h.sim.state.key(g.keyId)!.description)).toEqual(['updated', 'updated', 'updated']);
    await f.lifecycle(cfnEvent('Delete', updated));
    expect(rec.generations.map((g) => h.sim.state.key(g.keyId)!.state)).toEqual(['PendingDeletion', 'PendingDeletion', 'PendingDeletion']);
    const functionPrincipals = [stack.lifecycle.arn, stack.rotation.arn, stack.writer.arn, stack.reader.arn];
    const denied = h.sim.authorization.decisions.list().filter((x) => x.denied > 0 && functionPrincipals.includes(x.principal));
    expect(denied).toEqual([]);
    expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn })).toBeGreaterThan(10);
    expect(h.sim.authorization.decisions.allowed({ principal: stack.writer.arn })).toBeGreaterThan(40);
    expect(kept.length).toBeGreaterThan(40);
    expect(h.log.errors()).toEqual([]);
  });

  test('a retired generation refuses encryption by key id once its fence has propagated', async () => {
    await create();
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    await h.runSchedule(f, HOUR, stack.scheduleInput);
    const rec = await h.group('telemetry-group');
    const retired = rec.generations.find((g) => g.n === 1)!;
    const admin = h.sim.client({ maxAttempts: 1 });
    h.sim.clock.set(new Date(Date.parse(retired.fencedAt!) + PROPAGATION_MS + 1000));
    await expect(admin.send(new EncryptCommand({ KeyId: retired.keyId, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const ok = await admin.send(new EncryptCommand({ KeyId: currentGeneration(rec)!.keyId, Plaintext: Buffer.from('x') }));
    expect(ok.KeyId).toBe(currentGeneration(rec)!.keyArn);
  });

  test('the grant the first version used (kms:ResourceAliases alone) is denied right after the alias moves: why encryption is granted by kms:RequestAlias', async () => {
    const aliasOnly = { ...stack.writer, accessKeyId: 'AKIDALIASONLY', arn: `arn:aws:iam::${TEST_ACCOUNT}:role/AliasOnlyWriter` };
    const policies = aliasOnly.policies.map((p) => ({ ...p, Statement: ([] as any[]).concat(p.Statement).filter((s) => JSON.stringify(s.Condition ?? {}).includes('kms:ResourceAliases')) }));
    expect(policies.flatMap((p) => p.Statement)).toHaveLength(1);
    h.sim.authorization.setPrincipal({ accessKeyId: aliasOnly.accessKeyId, arn: aliasOnly.arn, policies });
    const legacy = h.sim.clientFor(aliasOnly.accessKeyId, { maxAttempts: 1 });
    await create();
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    await legacy.send(new EncryptCommand({ KeyId: 'alias/telemetry', Plaintext: Buffer.from('x') }));
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    h.sim.clock.advance(SCHEDULE_PERIOD_MS);
    expect((await f.rotation(stack.scheduleInput)).outcome).toBe('promoted');
    h.sim.clock.advance(5000);
    await expect(legacy.send(new EncryptCommand({ KeyId: 'alias/telemetry', Plaintext: Buffer.from('x') }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // The writer with the construct's grant is not.
    await writer.send(new EncryptCommand({ KeyId: 'alias/telemetry', Plaintext: Buffer.from('x') }));
  });

  test('every ledger call the functions made is allowed by their synthesized policies', async () => {
    await create();
    h.db.commands.length = 0;
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    await h.runSchedule(f, HOUR, stack.scheduleInput);
    const table = ledgerTableArn(stack.template);
    const used = [...new Set(h.db.commands)];
    expect(used.length).toBeGreaterThan(1);
    for (const command of used) {
      const action = `dynamodb:${command.replace(/Command$/, '')}`;
      const request = { principalArn: stack.rotation.arn, principalAccount: TEST_ACCOUNT, action, resource: table, context: {} };
      const decision = evaluateIdentityPolicies(stack.rotation.policies, request);
      expect([action, decision.decision]).toEqual([action, 'Allow']);
    }
  });

  test('the rotation role cannot schedule deletion of a current or retired key, nor rewrite settings', async () => {
    await create();
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    await h.runSchedule(f, HOUR, stack.scheduleInput);
    h.sim.clock.advance(PROPAGATION_MS + 1000);
    const rotationClient = h.sim.clientFor(stack.rotation.accessKeyId, { maxAttempts: 1 });
    const { ScheduleKeyDeletionCommand, UpdateKeyDescriptionCommand, UntagResourceCommand } = jestRequireKms();
    for (const g of (await h.group('telemetry-group')).generations) {
      await expect(rotationClient.send(new ScheduleKeyDeletionCommand({ KeyId: g.keyId, PendingWindowInDays: 7 }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(rotationClient.send(new UpdateKeyDescriptionCommand({ KeyId: g.keyId, Description: 'x' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(rotationClient.send(new UntagResourceCommand({ KeyId: g.keyId, TagKeys: ['rotation:group'] }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
  });
});

describe('retention with exactly the synthesized policies', () => {
  test('deleteAfter disables and then schedules the deletion of old retired generations, never denied; the previous one stays', async () => {
    const stack = deployedStack({
      rotationInterval: RotationInterval.months(1),
      retention: Retention.deleteAfter(Duration.days(30), { quietPeriod: Duration.days(7), pendingWindow: Duration.days(7) }),
    });
    const h = await Harness.start({
      consistency: { seed: 11, readLagMs: 2000, newKeyNotFoundMs: 3000 },
      authorization: { principals: stack.principals, propagationMs: PROPAGATION_MS },
    }, stack.tableName, stack.sealKeyPolicies);
    try {
      const eventBusName = declareEventBridge(h.sim, stack.template);
      const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, eventBusName });
      await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
      // Three monthly rotations (the schedule's runs from the due date on, in the schedule hour), then one run 8 days later.
      for (let i = 0; i < 3; i++) {
        h.sim.clock.set(new Date(Date.parse((await h.group('telemetry-group')).nextDueAt!) - 60_000));
        await h.runSchedule(f, 4 * SCHEDULE_PERIOD_MS, stack.scheduleInput);
        h.sim.clock.advance(8 * MS_PER_DAY);
        await h.runSchedule(f, SCHEDULE_PERIOD_MS, stack.scheduleInput);
      }
      const rec = await h.group('telemetry-group');
      expect(rec.generations.map((g) => [g.n, g.stage, !!g.disabledAt, !!g.deletionScheduledAt])).toEqual([
        [1, 'retired', true, true], [2, 'retired', true, true], [3, 'retired', false, false], [4, 'current', false, false],
      ]);
      const { DescribeKeyCommand } = jestRequireKms();
      h.sim.clock.advance(60_000); // past KMS's read lag
      const states = await Promise.all(rec.generations.map((g) => h.kms.send(new DescribeKeyCommand({ KeyId: g.keyId }))
        .then((r) => r.KeyMetadata!.KeyState, (e: Error) => (e.name === 'NotFoundException' ? 'Deleted' : e.name))));
      // Generation 1's 7-day pending window has passed: KMS deleted it.
      expect(states).toEqual(['Deleted', 'PendingDeletion', 'Enabled', 'Enabled']);
      const functions = [stack.lifecycle.arn, stack.rotation.arn];
      expect(h.sim.authorization.decisions.list().filter((x) => x.denied > 0 && functions.includes(x.principal))).toEqual([]);
      for (const operation of ['DisableKey', 'GetKeyLastUsage', 'ScheduleKeyDeletion']) {
        expect([operation, h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation }) > 0]).toEqual([operation, true]);
      }
      expect(h.log.errors()).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});

function jestRequireKms() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms');
}
