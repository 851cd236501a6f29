/**
 * Turns a raw invocation event into a typed request, or refuses it before any
 * KMS or ledger call with an error that says what was expected. Each entry
 * point accepts only its own kind of event. Pure.
 */
import { aliasNameProblems } from './aliases';
import { InvalidRequestError } from './errors';
import { buildKeyPolicy, PolicyContext, Statement, userStatementProblems } from './policy';
import {
  AdoptSettings, DEFAULT_PROPAGATION_SECONDS, EscrowSettings, GroupSettings, MaterialSourceSettings, parseAdopt, parseEmergencyRotationsPerDay,
  parseEscrow, parseStackId, parseGroupId,
  parseIntervalMonths, parseMaterialSource,
  parsePendingWindow, parsePropagationSeconds, parseRetention, parseScheduleHour, parseTimeZone, parseValidityDays, parseWrappingAlgorithm,
  parseWrappingKeySpec,
} from './settings';
import { MAX_USER_TAGS, RESERVED_TAG_PREFIX, TagMap } from './tags';

export const MAX_EVENT_BYTES = 65_536;
const MAX_DESCRIPTION = 8192;
const TAG_CHARSET = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const PARTITIONS = /^aws(-[a-z]+)*$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;

export const SCHEDULE_ACTIONS = ['rotate-if-due', 'rotate-now', 'enable-generation'] as const;

export interface RotationRequest {
  readonly kind: 'rotate';
  readonly force: boolean;
  readonly aliasName: string;
  readonly groupId?: string;
  /** `enable-generation`: the retired generation to enable again (decrypt-only) and exempt from retention; nothing rotates. */
  readonly enableGeneration?: number;
}

export interface DeleteRequest {
  readonly kind: 'delete';
  readonly groupId?: string;
  readonly aliasName?: string;
  readonly removalPolicy: 'retain' | 'destroy';
  readonly pendingWindowDays: number;
  readonly physicalResourceId: string;
}

export type LifecycleRequest =
  | { readonly kind: 'create'; readonly settings: GroupSettings; readonly requestId: string }
  | {
    readonly kind: 'update';
    readonly settings: GroupSettings;
    readonly oldAliasName?: string;
    readonly physicalResourceId: string;
    readonly requestId: string;
    /** The user tag keys of the old properties (none when they are unreadable: they were valid when deployed, by an earlier version perhaps). */
    readonly oldTagKeys: readonly string[];
  }
  | DeleteRequest;

const EXPECTED_ROTATION = 'the rotation entry point accepts only {"action":"rotate-if-due"|"rotate-now","aliasName":"alias/…","groupId"?:"…"} '
  + 'or {"action":"enable-generation","aliasName":"alias/…","generation":n} or {"action":"sweep"}';
const EXPECTED_LIFECYCLE = 'the lifecycle entry point accepts only CloudFormation custom resource events (RequestType Create, Update or Delete) from the provider framework';

const CFN_PROPERTIES = [
  'ServiceToken', 'GroupId', 'AliasName', 'IntervalMonths', 'Description', 'KeyPolicyStatements', 'Tags',
  'WrappingAlgorithm', 'WrappingKeySpec', 'MaterialValidityDays', 'RemovalPolicy', 'PendingWindowDays',
  'LifecycleRoleArn', 'RotationRoleArn', 'AccountId', 'Partition', 'PropagationWindowSeconds', 'ScheduleHour', 'ScheduleTimeZone',
  'Retention', 'MaterialSource', 'Adopt', 'Escrow', 'EmergencyRotationsPerDay', 'StackId',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Refuse = (problem: string) => never;

function refuser(expected: string): Refuse {
  return (problem) => {
    throw new InvalidRequestError(`Refused event: ${problem}; ${expected}.`);
  };
}

function asEventObject(event: unknown, refuse: Refuse): Record<string, unknown> {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(event) ?? '');
  } catch {
    refuse('the event cannot be serialized as JSON');
  }
  if (size > MAX_EVENT_BYTES) refuse(`the event is ${size} bytes, more than ${MAX_EVENT_BYTES}`);
  if (!isRecord(event)) refuse(`the event is ${Array.isArray(event) ? 'an array' : typeof event}, not an object`);
  return event;
}

/** Scheduled and emergency rotations: an alias (and optionally its group id), nothing else. */
export function parseRotationRequest(event: unknown): RotationRequest {
  const refuse: Refuse = refuser(EXPECTED_ROTATION);
  const e = asEventObject(event, refuse);
  if ('RequestType' in e) refuse('it is a CloudFormation event, which only the lifecycle entry point accepts');
  if (!('action' in e)) refuse('it has no "action"');
  return parseScheduleOrEmergency(e, refuse);
}

/** The per-stack schedule's sweep of Creates that died (sweep.ts): it names no group, and acts only on what the ledger's sealed entries say. */
export interface SweepRequest {
  readonly kind: 'sweep';
}

/** Whether the rotation entry point's event asks for the sweep (then parseSweepRequest decides whether it is one). */
export function isSweepEvent(event: unknown): boolean {
  return isRecord(event) && event.action === 'sweep';
}

/** The sweep: `{"action":"sweep"}` and nothing else. */
export function parseSweepRequest(event: unknown): SweepRequest {
  const refuse: Refuse = refuser(EXPECTED_ROTATION);
  const e = asEventObject(event, refuse);
  if (e.action !== 'sweep') refuse('it is not a sweep');
  const unknown = Object.keys(e).filter((k) => k !== 'action');
  if (unknown.length > 0) refuse(`unexpected field(s) ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; a sweep takes none`);
  return { kind: 'sweep' };
}

/** CloudFormation Create, Update and Delete of a key group. */
export function parseLifecycleRequest(event: unknown, stackId?: string): LifecycleRequest {
  const refuse: Refuse = refuser(EXPECTED_LIFECYCLE);
  const e = asEventObject(event, refuse);
  if (!('RequestType' in e)) refuse('it is not a CloudFormation custom resource event');
  // The function serves the key groups of its own stack only.
  if (stackId !== undefined && e.StackId !== stackId) {
    refuse(`its StackId ${JSON.stringify(typeof e.StackId === 'string' ? e.StackId.slice(0, 200) : e.StackId)} is not this function's stack`);
  }
  return parseCloudFormation(e, refuse);
}

function parseScheduleOrEmergency(event: Record<string, unknown>, refuse: Refuse): RotationRequest {
  const unknown = Object.keys(event).filter((k) => !['action', 'aliasName', 'groupId', ...(event.action === 'enable-generation' ? ['generation'] : [])].includes(k));
  if (unknown.length > 0) refuse(`unexpected field(s) ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
  const action = event.action;
  if (typeof action !== 'string' || !(SCHEDULE_ACTIONS as readonly string[]).includes(action)) {
    refuse(`unknown action ${JSON.stringify(typeof action === 'string' ? action.slice(0, 40) : action)}`);
  }
  const aliasProblems = aliasNameProblems(event.aliasName);
  if (aliasProblems.length > 0) refuse(aliasProblems.join('; '));
  const groupId = event.groupId === undefined ? undefined : parseGroupId(event.groupId, 'groupId');
  if (action === 'enable-generation') {
    const n = event.generation;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 999_999) {
      refuse(`enable-generation needs "generation", a generation number (got ${JSON.stringify(n)})`);
    }
    return { kind: 'rotate', force: false, aliasName: event.aliasName as string, groupId, enableGeneration: n };
  }
  return { kind: 'rotate', force: action === 'rotate-now', aliasName: event.aliasName as string, groupId };
}

function parseCloudFormation(event: Record<string, unknown>, refuse: Refuse): LifecycleRequest {
  const type = event.RequestType;
  const props = event.ResourceProperties;
  if (!isRecord(props)) refuse('ResourceProperties is missing or not an object');
  const physicalResourceId = typeof event.PhysicalResourceId === 'string' ? event.PhysicalResourceId : '';
  const requestId = typeof event.RequestId === 'string' ? event.RequestId.slice(0, 80) : '';
  switch (type) {
    case 'Create':
      return { kind: 'create', settings: parseGroupSettings(props), requestId };
    case 'Update': {
      if (!physicalResourceId) refuse('an Update event needs PhysicalResourceId');
      const old = isRecord(event.OldResourceProperties) ? event.OldResourceProperties : {};
      return {
        kind: 'update',
        settings: parseGroupSettings(props),
        oldAliasName: typeof old.AliasName === 'string' ? old.AliasName : undefined,
        oldTagKeys: oldTagKeysOf(old),
        physicalResourceId,
        requestId,
      };
    }
    case 'Delete':
      return parseDelete(props, physicalResourceId);
    default:
      return refuse(`unknown RequestType ${JSON.stringify(type)}`);
  }
}

/** Delete must not fail on properties a failed Create left behind: read what is usable. */
function parseDelete(props: Record<string, unknown>, physicalResourceId: string): DeleteRequest {
  const groupId = typeof props.GroupId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(props.GroupId) ? props.GroupId : undefined;
  const aliasName = aliasNameProblems(props.AliasName).length === 0 ? props.AliasName as string : undefined;
  const removalPolicy = props.RemovalPolicy === 'destroy' ? 'destroy' : 'retain';
  const window = Number(props.PendingWindowDays);
  return {
    kind: 'delete',
    groupId,
    aliasName,
    removalPolicy,
    pendingWindowDays: Number.isInteger(window) && window >= 7 && window <= 30 ? window : 30,
    physicalResourceId,
  };
}

function parseJson(v: unknown, field: string): unknown {
  if (typeof v !== 'string') throw new InvalidRequestError(`${field} must be a JSON string`);
  try {
    return JSON.parse(v);
  } catch {
    throw new InvalidRequestError(`${field} is not valid JSON`);
  }
}

function oldTagKeysOf(old: Record<string, unknown>): string[] {
  try {
    return Object.keys(parseUserTags(old.Tags, 'OldResourceProperties.Tags'));
  } catch {
    return [];
  }
}

export function parseUserTags(v: unknown, field = 'Tags'): TagMap {
  const tags = v === undefined || v === '' ? {} : parseJson(v, field);
  if (!isRecord(tags)) throw new InvalidRequestError(`${field} must be a JSON object of tag keys to values`);
  const problems: string[] = [];
  const keys = Object.keys(tags);
  if (keys.length > MAX_USER_TAGS) problems.push(`${field} has ${keys.length} tags; at most ${MAX_USER_TAGS}`);
  for (const k of keys) {
    const value = tags[k];
    if (k.length < 1 || k.length > 128 || !TAG_CHARSET.test(k)) problems.push(`${field} key ${JSON.stringify(k.slice(0, 40))} must be 1-128 characters of letters, digits, spaces and _ . : / = + - @`);
    if (k.startsWith(RESERVED_TAG_PREFIX) || k.toLowerCase().startsWith('aws:')) problems.push(`${field} key ${JSON.stringify(k.slice(0, 40))} must not start with "${RESERVED_TAG_PREFIX}" or "aws:"`);
    if (typeof value !== 'string' || value.length > 256 || !TAG_CHARSET.test(value)) problems.push(`${field}[${JSON.stringify(k.slice(0, 40))}] must be a string of at most 256 allowed characters`);
  }
  if (problems.length > 0) throw new InvalidRequestError(problems.join('; '));
  return tags as TagMap;
}

function parseRemoval(v: unknown): 'retain' | 'destroy' {
  if (v !== 'retain' && v !== 'destroy') throw new InvalidRequestError(`RemovalPolicy must be "retain" or "destroy" (got ${JSON.stringify(v)})`);
  return v;
}

function parsePolicyContext(props: Record<string, unknown>): PolicyContext {
  const { Partition: partition, AccountId: accountId } = props;
  if (typeof partition !== 'string' || !PARTITIONS.test(partition)) throw new InvalidRequestError(`Partition must look like "aws" (got ${JSON.stringify(partition)})`);
  if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) throw new InvalidRequestError(`AccountId must be 12 digits (got ${JSON.stringify(accountId)})`);
  const role = (field: string): string => {
    const arn = props[field];
    if (typeof arn !== 'string' || !ROLE_ARN.test(arn)) throw new InvalidRequestError(`${field} must be an IAM role ARN (got ${JSON.stringify(typeof arn === 'string' ? arn.slice(0, 120) : arn)})`);
    if (!arn.startsWith(`arn:${partition}:iam::${accountId}:`)) throw new InvalidRequestError(`${field} must be a role of the same account and partition`);
    return arn;
  };
  return { partition, accountId, lifecycleRoleArn: role('LifecycleRoleArn'), rotationRoleArn: role('RotationRoleArn') };
}

/** Generated stays absent, so that ledgers of groups that do not set it look as before. */
function withMaterialSource(source: MaterialSourceSettings): { materialSource?: MaterialSourceSettings } {
  return source.type === 'generated' ? {} : { materialSource: source };
}

/** Absent stays absent, so that ledgers of templates from before the limit look as before (the default applies). */
function withEmergencyLimit(perDay: number | undefined): { emergencyRotationsPerDay?: number } {
  return perDay === undefined ? {} : { emergencyRotationsPerDay: perDay };
}

/** Absent when nothing is adopted, so that ledgers of groups that do not adopt look as before. */
function withAdopt(adopt: AdoptSettings | undefined): { adopt?: AdoptSettings } {
  return adopt ? { adopt } : {};
}

/** Escrow is of generated material only (a provider's plaintext never enters the functions); absent stays absent. */
function withEscrow(escrow: EscrowSettings | undefined, materialSource: unknown): { escrow?: EscrowSettings } {
  if (!escrow) return {};
  if (parseMaterialSource(materialSource, 'MaterialSource').type !== 'generated') {
    throw new InvalidRequestError('Escrow needs generated material: a provider function\'s material never enters the functions');
  }
  return { escrow };
}

export function parseGroupSettings(props: Record<string, unknown>): GroupSettings {
  const unknown = Object.keys(props).filter((k) => !CFN_PROPERTIES.includes(k));
  if (unknown.length > 0) throw new InvalidRequestError(`unexpected ResourceProperties ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; expected ${CFN_PROPERTIES.join(', ')}`);
  const aliasProblems = aliasNameProblems(props.AliasName, 'AliasName');
  if (aliasProblems.length > 0) throw new InvalidRequestError(aliasProblems.join('; '));
  const description = props.Description ?? '';
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) throw new InvalidRequestError(`Description must be a string of at most ${MAX_DESCRIPTION} characters`);
  const policyContext = parsePolicyContext(props);
  const statements = props.KeyPolicyStatements === undefined ? [] : parseJson(props.KeyPolicyStatements, 'KeyPolicyStatements');
  const statementProblems = userStatementProblems(statements, policyContext);
  if (statementProblems.length > 0) throw new InvalidRequestError(statementProblems.join('; '));
  return {
    groupId: parseGroupId(props.GroupId, 'GroupId'),
    aliasName: props.AliasName as string,
    intervalMonths: parseIntervalMonths(props.IntervalMonths, 'IntervalMonths'),
    description,
    policy: buildKeyPolicy(policyContext, statements as Statement[]),
    userTags: parseUserTags(props.Tags),
    wrappingAlgorithm: parseWrappingAlgorithm(props.WrappingAlgorithm ?? 'RSAES_OAEP_SHA_256', 'WrappingAlgorithm'),
    wrappingKeySpec: parseWrappingKeySpec(props.WrappingKeySpec ?? 'RSA_4096', 'WrappingKeySpec'),
    materialValidityDays: parseValidityDays(props.MaterialValidityDays ?? '0', 'MaterialValidityDays'),
    removalPolicy: parseRemoval(props.RemovalPolicy ?? 'retain'),
    pendingWindowDays: parsePendingWindow(props.PendingWindowDays ?? '30', 'PendingWindowDays'),
    propagationSeconds: parsePropagationSeconds(props.PropagationWindowSeconds ?? String(DEFAULT_PROPAGATION_SECONDS), 'PropagationWindowSeconds'),
    scheduleHour: parseScheduleHour(props.ScheduleHour ?? '3', 'ScheduleHour'),
    scheduleTimeZone: parseTimeZone(props.ScheduleTimeZone ?? 'Etc/UTC', 'ScheduleTimeZone'),
    policyContext,
    retention: parseRetention(props.Retention, 'Retention'),
    ...withMaterialSource(parseMaterialSource(props.MaterialSource, 'MaterialSource')),
    ...withAdopt(parseAdopt(props.Adopt, 'Adopt')),
    ...withEscrow(parseEscrow(props.Escrow, 'Escrow'), props.MaterialSource),
    ...withEmergencyLimit(parseEmergencyRotationsPerDay(props.EmergencyRotationsPerDay, 'EmergencyRotationsPerDay')),
    ...withStackId(parseStackId(props.StackId, 'StackId'), policyContext),
  };
}

/** Absent stays absent, so that ledgers of templates from before the stack tag look as before; a stack of the group's own account only. */
function withStackId(stackId: string | undefined, context: PolicyContext): { stackId?: string } {
  if (stackId === undefined) return {};
  if (!stackId.startsWith(`arn:${context.partition}:cloudformation:`) || stackId.split(':')[4] !== context.accountId) {
    throw new InvalidRequestError('StackId must be a stack of the same account and partition');
  }
  return { stackId };
}
