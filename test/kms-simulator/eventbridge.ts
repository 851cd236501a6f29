/**
 * Amazon EventBridge `PutEvents` (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) on the
 * simulator's endpoint, so the real `@aws-sdk/client-eventbridge` (pointed at it with
 * `endpoint` or `AWS_ENDPOINT_URL_EVENTBRIDGE`) can put events and tests can read them.
 *
 * Validation follows the API reference: 1 to 10 entries, `Source`, `DetailType` and `Detail`
 * (a JSON object) required, at most 256 KiB per request, `EventBusName` a name or ARN of a bus
 * of this account and Region: `default`, or a custom bus declared to the simulator
 * (`declareBus`, as a deployed template would make it; CreateEventBus is not modelled), with
 * its resource-based policy if it has one. Rules (`declareRule`) belong to one bus and match
 * the events put on it with their event pattern (event-pattern.ts); `matched(rule)` lists them.
 *
 * In the authorization mode every entry is evaluated as `events:PutEvents` on its bus's ARN
 * with the condition keys `aws:PrincipalArn`, `aws:PrincipalAccount`, `events:source` and
 * `events:detail-type`, the way IAM decides a request within one account
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html):
 * an explicit Deny in the caller's identity policies or in the bus's policy refuses it;
 * otherwise an Allow in either grants it (an Allow of the bus policy that names only the
 * caller's account delegates to IAM, so an identity policy must allow too). A caller of
 * another account needs both. A denied entry fails the whole request with
 * AccessDeniedException (stricter than AWS, which may answer per entry).
 */
import { randomUUID } from 'crypto';
import { evaluateIdentityPolicies, evaluateResourcePolicy, type PolicyDocument } from '../iam';
import type { DecisionLog } from './decisions';
import { SimError, validation } from './errors';
import { checkPattern, EventPattern, matchesPattern } from './event-pattern';
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

/** A rule of a bus, as a deployed template declares it. */
export interface SimRule {
  readonly name: string;
  /** @default 'default' */
  readonly eventBusName?: string;
  readonly eventPattern: unknown;
}

/** An event as a rule's target receives it (the EventBridge envelope). */
export interface DeliveredEvent {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': string;
  readonly 'source': string;
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': Record<string, unknown>;
}

const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

/** What authorization of PutEvents needs from the simulator's authorization mode. */
export interface EventAuthorization {
  readonly caller: Caller;
  readonly decisions: DecisionLog;
}

export class EventBridgeSim {
  private readonly received: PutEvent[] = [];
  /** Bus name -> its resource-based policy (undefined: none). */
  private readonly buses = new Map<string, PolicyDocument | undefined>([[DEFAULT_BUS, undefined]]);
  private readonly rules = new Map<string, { bus: string; pattern: EventPattern; delivered: DeliveredEvent[] }>();

  constructor(private readonly accountId: string, private readonly region: string, private readonly now: () => Date) {}

  /** Every event put so far, on any bus, in order. */
  public events(): PutEvent[] {
    return [...this.received];
  }

  /** Makes a custom bus exist (or sets the policy of an existing one, `default` included). */
  public declareBus(name: string, policy?: PolicyDocument): void {
    if (!BUS_NAME.test(name)) throw new Error(`declareBus: ${JSON.stringify(name)} is not a valid event bus name`);
    this.buses.set(name, policy);
  }

  /** Adds a rule to a bus; its pattern must use exact values only (event-pattern.ts). */
  public declareRule(rule: SimRule): void {
    const bus = rule.eventBusName ?? DEFAULT_BUS;
    if (!this.buses.has(bus)) throw new Error(`declareRule ${rule.name}: the event bus ${bus} does not exist`);
    if (this.rules.has(rule.name)) throw new Error(`declareRule: a rule named ${rule.name} exists`);
    checkPattern(rule.eventPattern);
    this.rules.set(rule.name, { bus, pattern: rule.eventPattern, delivered: [] });
  }

  /** The events the rule matched (what its targets were sent), in order. */
  public matched(ruleName: string): DeliveredEvent[] {
    const rule = this.rules.get(ruleName);
    if (!rule) throw new Error(`matched: no rule named ${ruleName}`);
    return [...rule.delivered];
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
    for (const e of events) this.deliver(e);
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
    const text = String(value);
    const name = text.startsWith('arn:') ? text.slice(text.lastIndexOf('/') + 1) : text;
    if (!this.buses.has(name) || (text.startsWith('arn:') && text !== this.busArn(name))) {
      throw new SimError('ResourceNotFoundException', `Event bus ${text} does not exist.`);
    }
    return name;
  }

  private deliver(e: PutEvent): void {
    const envelope: DeliveredEvent = {
      'version': '0',
      'id': e.id,
      'detail-type': e.detailType,
      'source': e.source,
      'account': this.accountId,
      'time': e.time.toISOString(),
      'region': this.region,
      'resources': e.resources,
      'detail': e.detail,
    };
    for (const rule of this.rules.values()) {
      if (rule.bus === e.eventBusName && matchesPattern(rule.pattern, envelope as unknown as Record<string, unknown>)) rule.delivered.push(envelope);
    }
  }

  private authorize(e: PutEvent, auth: EventAuthorization): void {
    const resource = this.busArn(e.eventBusName);
    const request = {
      principalArn: auth.caller.arn,
      principalAccount: auth.caller.account,
      action: 'events:PutEvents',
      resource,
      context: {
        'aws:PrincipalArn': auth.caller.arn,
        'aws:PrincipalAccount': auth.caller.account,
        'events:source': e.source,
        'events:detail-type': e.detailType,
      },
    };
    const identity = evaluateIdentityPolicies(auth.caller.policies, request);
    const policy = this.buses.get(e.eventBusName);
    const bus = policy ? evaluateResourcePolicy(policy, request) : undefined;
    const refuse = (why: string): never => {
      auth.decisions.record(auth.caller.arn, 'PutEvents', false);
      throw new SimError('AccessDeniedException',
        `User: ${auth.caller.arn} is not authorized to perform: events:PutEvents on resource: ${resource} ${why} (source ${e.source})`);
    };
    if (bus?.decision === 'ExplicitDeny') refuse('with an explicit deny in a resource-based policy');
    if (identity.decision === 'ExplicitDeny') refuse('with an explicit deny in an identity-based policy');
    const identityAllows = identity.decision === 'Allow';
    if (auth.caller.account !== this.accountId) {
      if (!(bus?.allowDirect || bus?.allowViaAccount) || !identityAllows) refuse('because the request from another account is not allowed by both the bus policy and an identity-based policy');
      return;
    }
    if (!identityAllows && !bus?.allowDirect) refuse('because no identity-based or resource-based policy allows the events:PutEvents action');
  }
}
