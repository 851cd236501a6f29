/**
 * Puts a rotation's event on the stack's rotation event bus (EVENT_BUS_NAME),
 * or on the account's default bus when no bus is named (a deployment from
 * before the dedicated bus).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { UnexpectedResponseError } from './errors';
import { RotationEvent } from './rotation-event';

/**
 * Returns EventBridge's id of the event; throws (naming PutEvents) when the entry was not put.
 *
 * @param eventBusName name or ARN of the bus; undefined: the default bus
 */
export async function putRotationEvent(client: EventBridgeClient, e: RotationEvent, eventBusName?: string): Promise<string> {
  const answer = await client.send(new PutEventsCommand({
    Entries: [{ EventBusName: eventBusName, Source: e.source, DetailType: e.detailType, Resources: e.resources, Detail: JSON.stringify(e.detail) }],
  }));
  const entry = answer.Entries?.[0];
  if ((answer.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw Object.assign(
      new UnexpectedResponseError(`EventBridge did not put the event ${e.detail.id}: ${entry?.ErrorCode ?? 'no entry'}${entry?.ErrorMessage ? ` (${entry.ErrorMessage})` : ''}`),
      { operation: 'events:PutEvents' },
    );
  }
  return entry.EventId;
}
