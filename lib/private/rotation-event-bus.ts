import { Names, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EVENT_BUS_ENV, EVENT_DETAIL_TYPE, EVENT_SOURCE } from './event-contract';
import * as policies from './policies';

/**
 * The stack's rotation event bus: the rotation function puts its events on it,
 * `onRotated()` rules match on it, and its resource policy denies PutEvents to
 * every principal but the rotation role, so a consumer can trust an event's
 * `detail` (the default bus takes any source from anyone with
 * `events:PutEvents`). See docs/security-model.md, "Rotation events".
 */
export function rotationEventBus(scope: Construct, rotationRole: iam.Role, rotationFunction: lambda.Function): events.EventBus {
  const stack = Stack.of(scope);
  // A literal name, so the bus's own policy can name its ARN (a Ref would be circular).
  const name = `${Names.uniqueId(scope)}-events`.slice(-256);
  const bus = new events.EventBus(scope, 'EventBus', {
    eventBusName: name,
    description: 'Rotation events of cdk-rotating-imported-key: only its rotation function may put events',
  });
  const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: name });
  // Inline (the bus's Policy property), so the bus never exists without it.
  (bus.node.defaultChild as events.CfnEventBus).policy = new iam.PolicyDocument({
    statements: [policies.onlyRotationRolePutsStatement(busArn, rotationRole.roleArn)],
  });
  rotationRole.addToPrincipalPolicy(policies.putRotationEventStatement(busArn, EVENT_SOURCE, EVENT_DETAIL_TYPE));
  rotationFunction.addEnvironment(EVENT_BUS_ENV, bus.eventBusName);
  return bus;
}
