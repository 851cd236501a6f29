/**
 * Puts a rotation's event on the account's default event bus.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { UnexpectedResponseError } from './errors';
import { RotationEvent } from './rotation-event';

/** Returns EventBridge's id of the event; throws (naming PutEvents) when the entry was not put. */
export async function putRotationEvent(client: EventBridgeClient, e: RotationEvent): Promise<string> {
  const answer = await client.send(new PutEventsCommand({
    Entries: [{ Source: e.source, DetailType: e.detailType, Resources: e.resources, Detail: JSON.stringify(e.detail) }],
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
