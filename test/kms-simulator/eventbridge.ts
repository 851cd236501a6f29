/**
 * Amazon EventBridge `PutEvents` (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) on the
 * simulator's endpoint, so the real `@aws-sdk/client-eventbridge` (pointed at it with
 * `endpoint` or `AWS_ENDPOINT_URL_EVENTBRIDGE`) can put events and tests can read them.
 *
 * Validation follows the API reference: 1 to 10 entries, `Source`, `DetailType` and `Detail`
 * (a JSON object) required, at most 256 KiB per request, `EventBusName` a name or ARN of a bus
 * of this account and Region (only `default` exists). In the authorization mode every entry
 * is evaluated with the caller's identity policies as `events:PutEvents` on the bus ARN with
 * the condition keys `events:source` and `events:detail-type`; a denied entry fails the whole
 * request with AccessDeniedException (stricter than AWS, which may answer per entry).
 */
import { randomUUID } from 'crypto';
import { evaluateIdentityPolicies } from '../iam';
import type { DecisionLog } from './decisions';
import { SimError, validation } from './errors';
import type { Caller } from './identity';
import type { JsonObject } from './input';

export const EVENTBRIDGE_TARGET_PREFIX = 'AWSEvents.';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_BUS = 'default';

/** An event as the bus received it. */
export interface PutEvent {
  readonly id: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  /** `Detail`, parsed. */
  readonly detail: Record<string, unknown>;
  readonly resources: string[];
  readonly time: Date;
  /** The caller's principal ARN (authorization mode), else undefined. */
  readonly principal?: string;
}

/** What authorization of PutEvents needs from the simulator's authorization mode. */
export interface EventAuthorization {
  readonly caller: Caller;
  readonly decisions: DecisionLog;
}

export class EventBridgeSim {
  private readonly received: PutEvent[] = [];

  constructor(private readonly accountId: string, private readonly region: string, private readonly now: () => Date) {}

  /** Every event put so far, in order. */
  public events(): PutEvent[] {
    return [...this.received];
  }

  public busArn(name = DEFAULT_BUS): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  public handle(op: string, request: JsonObject, bodyBytes: number, auth?: EventAuthorization): unknown {
    if (op !== 'PutEvents') throw new SimError('UnknownOperationException', `Unknown operation ${EVENTBRIDGE_TARGET_PREFIX}${op}`);
    if (bodyBytes > MAX_REQUEST_BYTES) throw validation(`Total size of the entries in the request is over the limit of ${MAX_REQUEST_BYTES} bytes`);
    const entries = request.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw validation(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
    }
    const events = entries.map((raw, i) => this.parseEntry(raw, i, auth?.caller.arn));
    if (auth) {
      for (const e of events) this.authorize(e, auth);
      auth.decisions.record(auth.caller.arn, op, true);
    }
    this.received.push(...events);
    return { FailedEntryCount: 0, Entries: events.map((e) => ({ EventId: e.id })) };
  }

  private parseEntry(raw: unknown, i: number, principal: string | undefined): PutEvent {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw validation(`entries.${i + 1}: must be an object`);
    const entry = raw as JsonObject;
    const text = (name: string): string => {
      const v = entry[name];
      if (typeof v !== 'string' || v.length === 0) throw validation(`entries.${i + 1}.member.${name.charAt(0).toLowerCase()}${name.slice(1)}: Member must not be null`);
      return v;
    };
    let detail: unknown;
    try {
      detail = JSON.parse(text('Detail'));
    } catch (e) {
      if (e instanceof SimError) throw e;
      throw validation(`entries.${i + 1}.member.detail: Detail is malformed (not JSON)`);
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw validation(`entries.${i + 1}.member.detail: Detail must be a JSON object`);
    const resources = entry.Resources ?? [];
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) throw validation(`entries.${i + 1}.member.resources: must be a list of strings`);
    const busName = this.busNameOf(entry.EventBusName);
    const time = entry.Time === undefined ? this.now() : new Date(Number(entry.Time) * 1000);
    return {
      id: randomUUID(),
      eventBusName: busName,
      source: text('Source'),
      detailType: text('DetailType'),
      detail: detail as Record<string, unknown>,
      resources: resources as string[],
      time,
      principal,
    };
  }

  private busNameOf(value: unknown): string {
    if (value === undefined || value === null || value === '') return DEFAULT_BUS;
    const name = String(value).startsWith('arn:') ? String(value).slice(String(value).lastIndexOf('/') + 1) : String(value);
    if (name !== DEFAULT_BUS || (String(value).startsWith('arn:') && value !== this.busArn())) {
      throw new SimError('ResourceNotFoundException', `Event bus ${String(value)} does not exist.`);
    }
    return name;
  }

  private authorize(e: PutEvent, auth: EventAuthorization): void {
    const decision = evaluateIdentityPolicies(auth.caller.policies, {
      principalArn: auth.caller.arn,
      principalAccount: auth.caller.account,
      action: 'events:PutEvents',
      resource: this.busArn(e.eventBusName),
      context: {
        'aws:PrincipalArn': auth.caller.arn,
        'aws:PrincipalAccount': auth.caller.account,
        'events:source': e.source,
        'events:detail-type': e.detailType,
      },
    });
    if (decision.decision !== 'Allow') {
      auth.decisions.record(auth.caller.arn, 'PutEvents', false);
      throw new SimError('AccessDeniedException',
        `User: ${auth.caller.arn} is not authorized to perform: events:PutEvents on resource: ${this.busArn(e.eventBusName)} (source ${e.source}, ${decision.decision})`);
    }
  }
}
