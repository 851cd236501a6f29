/**
 * The stack's rotation event bus: one per stack, its resource policy (a Deny
 * of PutEvents to every principal but the rotation role, evaluated with the
 * IAM evaluator), the rotation function's environment naming it, and the
 * rotation role's PutEvents on it alone.
 */
import * as events from 'aws-cdk-lib/aws-events';
import { BASE_PROPS, stackWithKey } from './helpers';
import {
  eventBusesOf, eventRulesOf, functionEnvironments, functionRoles, identityStatementsOf, roleArnOf, TEST_ACCOUNT, TEST_REGION,
} from './synthesized-policies';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../../lambda/rotation/rotation-event';
import { RotatingImportedKey } from '../../lib';
import { evaluateResourcePolicy, type PolicyDocument } from '../iam';

describe('the rotation event bus', () => {
  const { stack, key, template } = stackWithKey({ groupId: 'telemetry' });
  new RotatingImportedKey(stack, 'BillingKey', { ...BASE_PROPS, aliasName: 'alias/billing', groupId: 'billing' });
  key.onRotated('ReEncrypt');
  const t = template().toJSON();
  const roles = functionRoles(t);
  const buses = eventBusesOf(t);

  test('one bus per stack, whatever the number of key groups, exposed as key.rotationEventBus', () => {
    expect(buses).toHaveLength(1);
    expect(buses[0].logicalId).toBe(stack.getLogicalId(key.rotationEventBus.node.defaultChild as events.CfnEventBus));
    expect(buses[0].arn).toBe(`arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:event-bus/${buses[0].name}`);
    expect(buses[0].name).not.toBe('default');
  });

  test('its policy is exactly one statement: PutEvents denied to every principal but the rotation role', () => {
    expect(buses[0].policy).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'OnlyTheRotationFunctionPutsEvents',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: buses[0].arn,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArnOf(roles.rotation) } },
      }],
    });
  });

  test('the policy denies any other principal of the account, and not the rotation role', () => {
    const decide = (principalArn: string) => evaluateResourcePolicy(buses[0].policy as unknown as PolicyDocument, {
      principalArn,
      principalAccount: TEST_ACCOUNT,
      action: 'events:PutEvents',
      resource: buses[0].arn,
      context: { 'aws:PrincipalArn': principalArn, 'events:source': EVENT_SOURCE, 'events:detail-type': EVENT_DETAIL_TYPE },
    }).decision;
    expect(decide(roleArnOf(roles.rotation))).toBe('ImplicitDeny');
    for (const other of [roleArnOf(roles.lifecycle), roleArnOf(roles.scheduler), `arn:aws:iam::${TEST_ACCOUNT}:role/Admin`, `arn:aws:iam::${TEST_ACCOUNT}:root`]) {
      expect(decide(other)).toBe('ExplicitDeny');
    }
  });

  test('the rotation function is told the bus; the lifecycle function is not', () => {
    const env = functionEnvironments(t);
    expect(env.rotation.EVENT_BUS_NAME).toBe(buses[0].name);
    expect(env.lifecycle).not.toHaveProperty('EVENT_BUS_NAME');
  });

  test('the rotation role may put events on that bus only (with the library\'s source and detail type); the lifecycle role on none', () => {
    const eventStatements = (role: string) => identityStatementsOf(t, role).filter((s) => JSON.stringify(s.Action).includes('events:'));
    expect(eventStatements(roles.rotation)).toEqual([{
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: buses[0].arn,
      Condition: { StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': EVENT_DETAIL_TYPE } },
    }]);
    expect(eventStatements(roles.lifecycle)).toEqual([]);
  });

  test('onRotated() makes its rule on the bus, for this group only', () => {
    expect(eventRulesOf(t)).toEqual([expect.objectContaining({
      eventBusName: buses[0].name,
      eventPattern: { 'source': [EVENT_SOURCE], 'detail-type': [EVENT_DETAIL_TYPE], 'detail': { group: ['telemetry'] } },
    })]);
  });
});
