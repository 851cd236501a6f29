/**
 * The EventBridge part of a synthesized stack, declared to the simulator as a
 * deployment would make it: every custom bus with its resource policy, and
 * every rule on its bus with its event pattern. Returns the rotation
 * function's EVENT_BUS_NAME, for the harness's `eventBusName`.
 */
import { eventBusesOf, eventRulesOf, functionEnvironments } from '../construct/synthesized-policies';
import type { PolicyDocument } from '../iam';
import type { KmsSimulator } from '../kms-simulator';

export function declareEventBridge(sim: KmsSimulator, template: Record<string, any>): string | undefined {
  for (const bus of eventBusesOf(template)) sim.eventBridge.declareBus(bus.name, bus.policy as unknown as PolicyDocument | undefined);
  for (const rule of eventRulesOf(template)) {
    sim.eventBridge.declareRule({ name: rule.logicalId, eventBusName: rule.eventBusName, eventPattern: rule.eventPattern });
  }
  return functionEnvironments(template).rotation.EVENT_BUS_NAME;
}
