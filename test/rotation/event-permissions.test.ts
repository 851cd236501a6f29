/**
 * The rotation function may put exactly its own event on the default bus:
 * the synthesized policy evaluated with the IAM evaluator, and a rotation run
 * with the simulator's authorization on (its PutEvents evaluated against the
 * same policy).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { deployedStack, DeployedStack } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Harness } from './harness';
import { TEST_ACCOUNT, TEST_REGION } from '../construct/synthesized-policies';
import { evaluateIdentityPolicies } from '../iam';

const BUS = `arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:event-bus/default`;
const OWN = { 'events:source': 'cdk-rotating-imported-key', 'events:detail-type': 'Imported Key Rotated' };

describe('PutEvents permission of the rotation role', () => {
  let stack: DeployedStack;
  beforeAll(() => { stack = deployedStack(); });

  const decide = (principal: DeployedStack['rotation'], resource: string, context: Record<string, string>) =>
    evaluateIdentityPolicies(principal.policies, { principalArn: principal.arn, principalAccount: TEST_ACCOUNT, action: 'events:PutEvents', resource, context }).decision;

  test('allowed on the default bus with the library\'s source and detail type, and nothing else', () => {
    expect(decide(stack.rotation, BUS, OWN)).toBe('Allow');
    expect(decide(stack.rotation, BUS, { ...OWN, 'events:source': 'aws.kms' })).toBe('ImplicitDeny');
    expect(decide(stack.rotation, BUS, { ...OWN, 'events:detail-type': 'Something Else' })).toBe('ImplicitDeny');
    expect(decide(stack.rotation, `arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:event-bus/other`, OWN)).toBe('ImplicitDeny');
    expect(decide(stack.rotation, `arn:aws:events:eu-west-1:${TEST_ACCOUNT}:event-bus/default`, OWN)).toBe('ImplicitDeny');
    expect(decide(stack.lifecycle, BUS, OWN)).toBe('ImplicitDeny');
  });

  test('a rotation run with authorization on puts its event as the rotation role; another source is refused', async () => {
    const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    try {
      const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials } });
      await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
      h.sim.clock.advance(h.sim.authorization.propagationMs + 1000);
      await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
      await h.runSchedule(f, 3_600_000, stack.scheduleInput);
      expect(h.log.errors()).toEqual([]);
      expect(h.sim.eventBridge.events().map((e) => [e.principal, e.detail.generation])).toEqual([[stack.rotation.arn, 2]]);
      expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation: 'PutEvents' })).toBe(1);
      const asRotation = h.sim.eventBridge.clientFor(stack.rotation.accessKeyId, { maxAttempts: 1 });
      await expect(asRotation.send(new PutEventsCommand({ Entries: [{ Source: 'aws.kms', DetailType: 'Imported Key Rotated', Detail: '{}' }] })))
        .rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect(h.sim.authorization.decisions.denied({ principal: stack.rotation.arn, operation: 'PutEvents' })).toBe(1);
    } finally {
      await h.stop();
    }
  });
});
