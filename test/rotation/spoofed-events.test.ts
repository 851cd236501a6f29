/**
 * Consumers of the rotation event cannot be sent a spoofed one: the stack as a
 * platform team writes it, with an `onRotated()` rule, deployed into the
 * simulator (its buses with their policies, its rules with their patterns,
 * every role with exactly its synthesized policies). An attacker allowed
 * `events:PutEvents` on `*` puts an event naming a foreign key on the bus of
 * the `onRotated()` rule; the rotation function's genuine event reaches it.
 */
import { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack, StackPrincipal } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Harness } from './harness';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../../lambda/rotation/rotation-event';
import { eventRulesOf, functionEnvironments, TEST_ACCOUNT, TEST_REGION } from '../construct/synthesized-policies';
import type { PolicyDocument } from '../iam';

const FOREIGN_KEY = `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** Level 3 of the trust model: anyone in the account with `events:PutEvents` (here on every bus). */
const ATTACKER: StackPrincipal = {
  accessKeyId: 'AKIDATTACKER',
  arn: `arn:aws:iam::${TEST_ACCOUNT}:role/EventSender`,
  policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }] }] as PolicyDocument[],
  credentials: { accessKeyId: 'AKIDATTACKER', secretAccessKey: 'AKIDATTACKER-secret' },
};

/** An event that looks like the library's, for the group, naming a key of somebody else. */
function spoofed(eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: EVENT_SOURCE,
    DetailType: EVENT_DETAIL_TYPE,
    Resources: [FOREIGN_KEY],
    Detail: JSON.stringify({
      version: '1',
      id: 'telemetry-group/generation-9',
      group: 'telemetry-group',
      alias: 'alias/telemetry',
      generation: 9,
      keyArn: FOREIGN_KEY,
      previousGeneration: 8,
      previousKeyArn: FOREIGN_KEY,
      reason: 'emergency',
      activatedAt: '2026-01-01T00:00:00.000Z',
      previousFencedAt: '2026-01-01T00:00:00.000Z',
      nextDueAt: '2026-07-01T00:00:00.000Z',
    }),
  };
}

describe('rotation events on the stack\'s own bus', () => {
  let stack: DeployedStack;
  let rule: ReturnType<typeof eventRulesOf>[number];
  let h: Harness;
  beforeAll(() => {
    stack = deployedStack({}, (s, key) => {
      key.onRotated('StartReEncryption', { target: new targets.SqsQueue(new sqs.Queue(s, 'ReEncryptionJobs', { enforceSSL: true })) });
    });
    [rule] = eventRulesOf(stack.template).filter((r) => JSON.stringify(r.eventPattern).includes(EVENT_SOURCE));
  });
  beforeEach(async () => {
    h = await Harness.start({ authorization: { principals: [...stack.principals, ATTACKER] } }, stack.tableName, stack.sealKeyPolicies);
    declareEventBridge(h.sim, stack.template);
  });
  afterEach(async () => h.stop());

  const putAs = (principal: StackPrincipal, entry: PutEventsRequestEntry) =>
    h.sim.eventBridge.clientFor(principal.accessKeyId, { maxAttempts: 1 }).send(new PutEventsCommand({ Entries: [entry] }));

  test('an attacker allowed events:PutEvents on * cannot put an event on the bus of the onRotated() rule, and the rule matches nothing', async () => {
    // Before the dedicated bus the rule was on the default bus: the put succeeded and the rule matched the foreign key.
    const outcome = await putAs(ATTACKER, spoofed(rule.eventBusName)).then(() => 'put', (e: Error) => `${e.name}: ${e.message}`);
    expect({ outcome, matched: h.sim.eventBridge.matched(rule.logicalId).map((e) => e.detail.keyArn) })
      .toEqual({ outcome: expect.stringMatching(/^AccessDeniedException: .*explicit deny in a resource-based policy/), matched: [] });
    // By ARN as well.
    await expect(putAs(ATTACKER, spoofed(h.sim.eventBridge.busArn(rule.eventBusName)))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(h.sim.authorization.decisions.denied({ principal: ATTACKER.arn, operation: 'PutEvents' })).toBe(2);
    expect(h.sim.eventBridge.matched(rule.logicalId)).toEqual([]);
  });

  test('the same attacker may still put the event on the default bus, where no onRotated() rule listens', async () => {
    expect(rule.eventBusName).not.toBe('default');
    await putAs(ATTACKER, spoofed('default'));
    expect(h.sim.eventBridge.events().map((e) => [e.eventBusName, e.principal])).toEqual([['default', ATTACKER.arn]]);
    expect(h.sim.eventBridge.matched(rule.logicalId)).toEqual([]);
  });

  test('no other role of the stack may put on the bus: not the lifecycle role, not an operator (grantRotateNow), not a writer', async () => {
    for (const principal of [stack.lifecycle, stack.operator, stack.writer]) {
      h.sim.authorization.setPrincipal({ ...principal, policies: [...principal.policies, ...ATTACKER.policies] });
      await expect(putAs(principal, spoofed(rule.eventBusName))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
    expect(h.sim.eventBridge.events()).toEqual([]);
  });

  test('the rotation function, with exactly its synthesized policies and environment, puts its event on the bus and the rule matches it', async () => {
    const eventBusName = functionEnvironments(stack.template).rotation.EVENT_BUS_NAME;
    expect(eventBusName).toBe(rule.eventBusName);
    const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, eventBusName });
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    h.sim.clock.advance(h.sim.authorization.propagationMs + 1000);
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    await h.runSchedule(f, 3_600_000, stack.scheduleInput);
    expect(h.log.errors()).toEqual([]);

    const [g1, g2] = (await h.group()).generations;
    expect(h.sim.eventBridge.events().map((e) => [e.eventBusName, e.principal])).toEqual([[eventBusName, stack.rotation.arn]]);
    const delivered = h.sim.eventBridge.matched(rule.logicalId);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      'source': EVENT_SOURCE,
      'detail-type': EVENT_DETAIL_TYPE,
      'account': TEST_ACCOUNT,
      'resources': [g2.keyArn, g1.keyArn],
      'detail': { group: 'telemetry-group', generation: 2, keyArn: g2.keyArn, previousKeyArn: g1.keyArn },
    });
    expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation: 'PutEvents' })).toBe(1);
  });
});
