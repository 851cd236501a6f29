/**
 * The rotation function may put exactly its own event on the stack's rotation
 * event bus: the synthesized policy evaluated with the IAM evaluator, and a
 * rotation run with the simulator's authorization on (its PutEvents evaluated
 * against the same policy and the bus's own).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Harness } from './harness';
import { eventBusesOf, functionEnvironments, TEST_ACCOUNT, TEST_REGION } from '../construct/synthesized-policies';
import { evaluateIdentityPolicies } from '../iam';

const DEFAULT_BUS = `arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:event-bus/default`;
const OWN = { 'events:source': 'cdk-rotating-imported-key', 'events:detail-type': 'Imported Key Rotated' };

describe('PutEvents permission of the rotation role', () => {
  let stack: DeployedStack;
  let BUS: string;
  beforeAll(() => {
    stack = deployedStack();
    [{ arn: BUS }] = eventBusesOf(stack.template);
  });

  const decide = (principal: DeployedStack['rotation'], resource: string, context: Record<string, string>) =>
    evaluateIdentityPolicies(principal.policies, { principalArn: principal.arn, principalAccount: TEST_ACCOUNT, action: 'events:PutEvents', resource, context }).decision;

  test('allowed on the rotation event bus with the library\'s source and detail type, and nothing else', () => {
    expect(decide(stack.rotation, BUS, OWN)).toBe('Allow');
    expect(decide(stack.rotation, BUS, { ...OWN, 'events:source': 'aws.kms' })).toBe('ImplicitDeny');
    expect(decide(stack.rotation, BUS, { ...OWN, 'events:detail-type': 'Something Else' })).toBe('ImplicitDeny');
    expect(decide(stack.rotation, `arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:event-bus/other`, OWN)).toBe('ImplicitDeny');
    expect(decide(stack.rotation, DEFAULT_BUS, OWN)).toBe('ImplicitDeny');
    expect(decide(stack.rotation, BUS.replace(TEST_REGION, 'eu-west-1'), OWN)).toBe('ImplicitDeny');
    expect(decide(stack.lifecycle, BUS, OWN)).toBe('ImplicitDeny');
  });

  test('a rotation run with authorization on puts its event as the rotation role; another source is refused', async () => {
    const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    try {
      declareEventBridge(h.sim, stack.template);
      const f = h.functions({
        credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials },
        eventBusName: functionEnvironments(stack.template).rotation.EVENT_BUS_NAME,
      });
      await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
      h.sim.clock.advance(h.sim.authorization.propagationMs + 1000);
      await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
      await h.runSchedule(f, 3_600_000, stack.scheduleInput);
      expect(h.log.errors()).toEqual([]);
      expect(h.sim.eventBridge.events().map((e) => [e.principal, e.detail.generation])).toEqual([[stack.rotation.arn, 2]]);
      expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation: 'PutEvents' })).toBe(1);
      const asRotation = h.sim.eventBridge.clientFor(stack.rotation.accessKeyId, { maxAttempts: 1 });
      const bus = functionEnvironments(stack.template).rotation.EVENT_BUS_NAME;
      await expect(asRotation.send(new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: 'aws.kms', DetailType: 'Imported Key Rotated', Detail: '{}' }] })))
        .rejects.toMatchObject({ name: 'AccessDeniedException' });
      // Nor its own event on the default bus, where it no longer goes.
      await expect(asRotation.send(new PutEventsCommand({ Entries: [{ Source: OWN['events:source'], DetailType: OWN['events:detail-type'], Detail: '{}' }] })))
        .rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect(h.sim.authorization.decisions.denied({ principal: stack.rotation.arn, operation: 'PutEvents' })).toBe(2);
    } finally {
      await h.stop();
    }
  });
});
