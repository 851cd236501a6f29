/**
 * Reading a synthesized template the way a deployment sees it: intrinsics
 * resolved to concrete strings, so that policies can be evaluated (by the IAM
 * evaluator in test/iam) and compared as text.
 *
 * Physical names are the logical ids: the role `RotationRoleABC123` has the
 * ARN `arn:aws:iam::111122223333:role/RotationRoleABC123`, the table
 * `LedgerABC123` is named `LedgerABC123`, and so on. Deploy-time attributes of
 * custom resources cannot be known and stay `{ unresolved: ... }`.
 */

export const TEST_ACCOUNT = '111122223333';
export const TEST_REGION = 'us-east-1';
export const TEST_PARTITION = 'aws';
export const TEST_URL_SUFFIX = 'amazonaws.com';

/** The resource type of the key groups' custom resources. */
export const KEY_GROUP_TYPE = 'Custom::RotatingImportedKey';

const LIFECYCLE_HANDLER = 'index.lifecycleHandler';
const ROTATION_HANDLER = 'index.rotationHandler';
const TABLE_TYPES = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'];

type Template = Record<string, any>;

/** A value that only a deployment can know (a custom resource attribute, an import). */
export interface Unresolved {
  readonly unresolved: unknown;
}

/** An IAM policy document, resolved, with `Statement` always a list. */
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: any[];
}

/** The identity policies of a role, and what could not be read. */
export type IdentityPolicies = PolicyDocument[] & {
  /** `ManagedPolicyArns` of the role (resolved): attached, but their documents are not in the template. */
  readonly ignoredManagedPolicyArns: unknown[];
};

/** Whether a resolved value is a placeholder for a deploy-time value. */
export function isUnresolved(value: unknown): value is Unresolved {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    && Object.keys(value).length === 1 && 'unresolved' in value;
}

function resourcesOf(template: Template): Record<string, { Type: string; Properties?: Record<string, any>; [key: string]: any }> {
  return template.Resources ?? {};
}

function resourceOf(template: Template, logicalId: string, where: string): { Type: string; Properties?: Record<string, any> } {
  const resource = resourcesOf(template)[logicalId];
  if (!resource) throw new Error(`resolveIntrinsics: ${where} refers to ${logicalId}, which is not a resource of the template`);
  return resource;
}

/** ARN of a resource in the test account and Region. */
function arn(service: string, resource: string, region = TEST_REGION, account = TEST_ACCOUNT): string {
  return `arn:${TEST_PARTITION}:${service}:${region}:${account}:${resource}`;
}

/** `AWS::StackId` of the test deployment: the value of the stack tag (`rotation:stack`) on the keys it makes. */
export const TEST_STACK_ID = `arn:${TEST_PARTITION}:cloudformation:${TEST_REGION}:${TEST_ACCOUNT}:stack/Platform/00000000-0000-0000-0000-000000000000`;

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': TEST_PARTITION,
  'AWS::Region': TEST_REGION,
  'AWS::AccountId': TEST_ACCOUNT,
  'AWS::URLSuffix': TEST_URL_SUFFIX,
  'AWS::StackId': TEST_STACK_ID,
};

function resolveRef(template: Template, name: string): unknown {
  if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name];
  if (name.startsWith('AWS::')) {
    throw new Error(`resolveIntrinsics: the pseudo parameter ${name} is not supported (only ${Object.keys(PSEUDO_PARAMETERS).join(', ')})`);
  }
  const parameter = template.Parameters?.[name];
  if (parameter) {
    if (parameter.Default === undefined) throw new Error(`resolveIntrinsics: parameter ${name} has no default`);
    return parameter.Default;
  }
  const resource = resourceOf(template, name, `Ref ${name}`);
  // A custom resource's Ref is the physical id its handler returns.
  if (isCustomResource(resource.Type)) return { unresolved: { Ref: name } };
  // Ref of a queue is its URL; of other resources, their physical name (here, the logical id).
  if (resource.Type === 'AWS::SQS::Queue') return `https://sqs.${TEST_REGION}.${TEST_URL_SUFFIX}/${TEST_ACCOUNT}/${name}`;
  if (resource.Type === 'AWS::S3::Bucket') return bucketName(name);
  if (resource.Type === 'AWS::Events::EventBus') return eventBusName(template, name);
  return name;
}

/** An event bus's physical name: its `Name` property (required by CloudFormation). */
function eventBusName(template: Template, logicalId: string): string {
  const name = resourceOf(template, logicalId, `event bus ${logicalId}`).Properties?.Name;
  if (typeof name !== 'string') throw new Error(`resolveIntrinsics: the event bus ${logicalId} has no literal Name: ${JSON.stringify(name)}`);
  return name;
}

/** A bucket's physical name: S3 names are lower case (CloudFormation's generated ones too). */
function bucketName(logicalId: string): string {
  return logicalId.toLowerCase();
}

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

function resolveGetAtt(template: Template, logicalId: string, attribute: string): unknown {
  const resource = resourceOf(template, logicalId, `Fn::GetAtt [${logicalId}, ${attribute}]`);
  const type = resource.Type;
  if (isCustomResource(type)) return { unresolved: { 'Fn::GetAtt': [logicalId, attribute] } };
  const attributes: Record<string, Record<string, () => string>> = {
    'AWS::IAM::Role': { Arn: () => `arn:${TEST_PARTITION}:iam::${TEST_ACCOUNT}:role/${logicalId}` },
    'AWS::Lambda::Function': { Arn: () => arn('lambda', `function:${logicalId}`) },
    'AWS::DynamoDB::GlobalTable': { Arn: () => arn('dynamodb', `table/${logicalId}`) },
    'AWS::DynamoDB::Table': { Arn: () => arn('dynamodb', `table/${logicalId}`) },
    'AWS::SQS::Queue': { Arn: () => arn('sqs', logicalId), QueueName: () => logicalId },
    // CloudFormation's Arn of a log group ends in ':*'.
    'AWS::Logs::LogGroup': { Arn: () => arn('logs', `log-group:${logicalId}:*`) },
    'AWS::S3::Bucket': { Arn: () => `arn:${TEST_PARTITION}:s3:::${bucketName(logicalId)}` },
    'AWS::KMS::Key': { Arn: () => arn('kms', `key/${logicalId}`) },
    'AWS::CloudWatch::Alarm': { Arn: () => arn('cloudwatch', `alarm:${logicalId}`) },
    'AWS::Scheduler::Schedule': { Arn: () => arn('scheduler', `schedule/default/${logicalId}`) },
    'AWS::SNS::Topic': { TopicArn: () => arn('sns', logicalId) },
    'AWS::Events::EventBus': { Arn: () => arn('events', `event-bus/${eventBusName(template, logicalId)}`), Name: () => eventBusName(template, logicalId) },
  };
  const produce = attributes[type]?.[attribute];
  if (!produce) {
    throw new Error(`resolveIntrinsics: Fn::GetAtt [${logicalId}, ${attribute}] of a ${type} is not supported; add it to test/construct/synthesized-policies.ts`);
  }
  return produce();
}

function asString(value: unknown, where: string): string | Unresolved {
  if (isUnresolved(value)) return value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`resolveIntrinsics: ${where} needs a string, got ${JSON.stringify(value)}`);
}

function substitute(template: Template, text: string, variables: Record<string, unknown>): unknown {
  let unresolved = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (name.startsWith('!')) return '${' + name.slice(1) + '}';
    let value: unknown;
    if (name in variables) {
      value = resolveIntrinsics(template, variables[name]);
    } else if (name.includes('.') && !name.startsWith('AWS::')) {
      const [logicalId, ...attribute] = name.split('.');
      value = resolveGetAtt(template, logicalId, attribute.join('.'));
    } else {
      value = resolveRef(template, name);
    }
    const s = asString(value, `Fn::Sub variable \${${name}}`);
    if (isUnresolved(s)) {
      unresolved = true;
      return '${' + name + '}';
    }
    return s;
  });
  return unresolved ? { unresolved: { 'Fn::Sub': [text, variables] } } : result;
}

function resolveFunction(template: Template, name: string, args: any): unknown {
  switch (name) {
    case 'Ref':
      return resolveRef(template, args);
    case 'Fn::GetAtt': {
      const [logicalId, ...attribute] = Array.isArray(args) ? args : String(args).split('.');
      return resolveGetAtt(template, logicalId, attribute.join('.'));
    }
    case 'Fn::Join': {
      const [separator, list] = args as [string, unknown[]];
      const parts = (resolveIntrinsics(template, list) as unknown[]).map((p, i) => asString(p, `Fn::Join part ${i}`));
      if (parts.some(isUnresolved)) return { unresolved: { 'Fn::Join': [separator, parts] } };
      return parts.join(separator);
    }
    case 'Fn::Sub':
      return typeof args === 'string' ? substitute(template, args, {}) : substitute(template, args[0], args[1] ?? {});
    case 'Fn::Select': {
      const [index, list] = args as [unknown, unknown];
      const resolvedList = resolveIntrinsics(template, list);
      if (isUnresolved(resolvedList)) return { unresolved: { 'Fn::Select': [index, resolvedList] } };
      const i = Number(resolveIntrinsics(template, index));
      if (!Array.isArray(resolvedList) || !Number.isInteger(i) || i < 0 || i >= resolvedList.length) {
        throw new Error(`resolveIntrinsics: Fn::Select index ${i} out of ${JSON.stringify(resolvedList)}`);
      }
      return resolvedList[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = args as [string, unknown];
      const text = asString(resolveIntrinsics(template, source), 'Fn::Split source');
      if (isUnresolved(text)) return { unresolved: { 'Fn::Split': [delimiter, text] } };
      return text.split(delimiter);
    }
    case 'Fn::ImportValue':
      return { unresolved: { 'Fn::ImportValue': resolveIntrinsics(template, args) } };
    default:
      throw new Error(`resolveIntrinsics: ${name} is not supported (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::ImportValue are)`);
  }
}

/**
 * Resolves CloudFormation intrinsics of a synthesized template to concrete
 * strings the way a deployment would: `Ref AWS::Partition` -> `aws`,
 * `AWS::Region` -> TEST_REGION, `AWS::AccountId` -> TEST_ACCOUNT,
 * `AWS::URLSuffix` -> `amazonaws.com`; `Ref` of a resource -> its physical
 * name, which here is its logical id (a queue's `Ref` is its URL);
 * `Fn::GetAtt [id, 'Arn']` of roles, functions, tables, queues, log groups,
 * buckets, alarms, schedules -> their ARN with the logical id as name;
 * `Fn::Join`, `Fn::Sub` (both forms), `Fn::Select`, `Fn::Split`. Custom
 * resource attributes and imports are left as `{ unresolved: ... }` (a string
 * built from one is unresolved too); anything else throws, naming it.
 */
export function resolveIntrinsics(template: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(template, v));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    return resolveFunction(template, keys[0], (value as Record<string, unknown>)[keys[0]]);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(template, v)]));
}

function refersTo(value: unknown, logicalId: string): boolean {
  return typeof value === 'object' && value !== null && (value as any).Ref === logicalId;
}

function normalise(template: Template, document: any): PolicyDocument {
  const resolved = resolveIntrinsics(template, document) as any;
  const statements = Array.isArray(resolved.Statement) ? resolved.Statement : [resolved.Statement];
  return { Version: resolved.Version, Statement: statements };
}

/**
 * Every identity policy document attached to the role with this logical id,
 * resolved: `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources whose
 * `Roles` contain a `Ref` to it, `AWS::IAM::RolePolicy` resources naming it,
 * and the role's inline `Policies`. The role's `ManagedPolicyArns` cannot be
 * read from the template: they are returned in `ignoredManagedPolicyArns`.
 */
export function identityPoliciesOf(template: Template, roleLogicalId: string): IdentityPolicies {
  const role = resourcesOf(template)[roleLogicalId];
  if (!role || role.Type !== 'AWS::IAM::Role') {
    throw new Error(`identityPoliciesOf: ${roleLogicalId} is not an AWS::IAM::Role of the template`);
  }
  const documents: PolicyDocument[] = [];
  for (const inline of role.Properties?.Policies ?? []) {
    documents.push(normalise(template, inline.PolicyDocument));
  }
  for (const resource of Object.values(resourcesOf(template))) {
    const props = resource.Properties ?? {};
    const attached = ((resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
      && (props.Roles ?? []).some((r: unknown) => refersTo(r, roleLogicalId)))
      || (resource.Type === 'AWS::IAM::RolePolicy' && refersTo(props.RoleName, roleLogicalId));
    if (attached) documents.push(normalise(template, props.PolicyDocument));
  }
  const ignoredManagedPolicyArns = (resolveIntrinsics(template, role.Properties?.ManagedPolicyArns ?? []) as unknown[]);
  return Object.assign(documents, { ignoredManagedPolicyArns });
}

/** Every statement of the role's identity policies, resolved. */
export function identityStatementsOf(template: Template, roleLogicalId: string): any[] {
  return identityPoliciesOf(template, roleLogicalId).flatMap((d) => d.Statement);
}

/** The ARN a role with this logical id has in the test account. */
export function roleArnOf(roleLogicalId: string): string {
  return `arn:${TEST_PARTITION}:iam::${TEST_ACCOUNT}:role/${roleLogicalId}`;
}

function logicalIdOfGetAtt(value: unknown, what: string): string {
  const getAtt = (value as any)?.['Fn::GetAtt'];
  if (!Array.isArray(getAtt)) throw new Error(`${what} is not a Fn::GetAtt: ${JSON.stringify(value)}`);
  return getAtt[0];
}

function onlyOne<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0];
}

function functionWithHandler(template: Template, handler: string): [string, Record<string, any>] {
  const found = Object.entries(resourcesOf(template))
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === handler);
  const [id, resource] = onlyOne(found, `AWS::Lambda::Function with handler ${handler}`);
  return [id, resource.Properties ?? {}];
}

/** The logical ids of the lifecycle function and the rotation function. */
export function functionIds(template: Template): { lifecycle: string; rotation: string } {
  return { lifecycle: functionWithHandler(template, LIFECYCLE_HANDLER)[0], rotation: functionWithHandler(template, ROTATION_HANDLER)[0] };
}

/**
 * The logical ids of the lifecycle role, rotation role and scheduler role of
 * the stack's shared construct (the roles of the two functions, and the role
 * the schedules assume).
 */
export function functionRoles(template: Template): { lifecycle: string; rotation: string; scheduler: string } {
  const lifecycle = logicalIdOfGetAtt(functionWithHandler(template, LIFECYCLE_HANDLER)[1].Role, 'the lifecycle function\'s Role');
  const rotation = logicalIdOfGetAtt(functionWithHandler(template, ROTATION_HANDLER)[1].Role, 'the rotation function\'s Role');
  const schedulerRoles = new Set(Object.values(resourcesOf(template))
    .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
    .map((r) => logicalIdOfGetAtt(r.Properties?.Target?.RoleArn, 'a schedule\'s Target.RoleArn')));
  const scheduler = onlyOne([...schedulerRoles], 'scheduler role');
  return { lifecycle, rotation, scheduler };
}

/** The logical id of the only resource of the type, or the given one after checking its type. */
function logicalIdOfType(template: Template, type: string, logicalId?: string): string {
  if (logicalId !== undefined) {
    const resource = resourcesOf(template)[logicalId];
    if (resource?.Type !== type) throw new Error(`${logicalId} is not a ${type} of the template`);
    return logicalId;
  }
  return onlyOne(Object.keys(resourcesOf(template)).filter((id) => resourcesOf(template)[id].Type === type), type);
}

/**
 * The `ResourceProperties` of a `Custom::RotatingImportedKey` resource
 * (the only one, unless a logical id is given), resolved, `ServiceToken`
 * included. Every value is a string, as CloudFormation passes them.
 */
export function customResourceProperties(template: Template, logicalId?: string): Record<string, string> {
  const id = logicalIdOfType(template, KEY_GROUP_TYPE, logicalId);
  const resolved = resolveIntrinsics(template, resourcesOf(template)[id].Properties ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== 'string') {
      throw new Error(`customResourceProperties: ${id}.${name} does not resolve to a string: ${JSON.stringify(value)}`);
    }
  }
  return resolved as Record<string, string>;
}

/** What a key group's schedule runs, resolved. */
export interface ScheduleSummary {
  readonly expression: string;
  readonly timeZone?: string;
  /** The target's input, parsed. */
  readonly input: Record<string, unknown>;
  readonly targetArn: string;
}

/** Whether a schedule is the stack's sweep of dead Creates (`{"action":"sweep"}`), not a key group's. */
function isSweepSchedule(resource: { Properties?: Record<string, any> }): boolean {
  const input = resource.Properties?.Target?.Input;
  return typeof input === 'string' && JSON.parse(input).action === 'sweep';
}

/** The logical id of the stack's one sweep schedule. */
export function sweepScheduleOf(template: Template): string {
  const resources = resourcesOf(template);
  return onlyOne(Object.keys(resources).filter((id) => resources[id].Type === 'AWS::Scheduler::Schedule' && isSweepSchedule(resources[id])), 'sweep schedule');
}

/**
 * The target input (parsed JSON), expression and target of a key group's `AWS::Scheduler::Schedule` (the only one
 * besides the stack's sweep schedule, unless a logical id is given).
 */
export function scheduleOf(template: Template, logicalId?: string): ScheduleSummary {
  const groupSchedules = Object.keys(resourcesOf(template))
    .filter((x) => resourcesOf(template)[x].Type === 'AWS::Scheduler::Schedule' && !isSweepSchedule(resourcesOf(template)[x]));
  const id = logicalId === undefined ? onlyOne(groupSchedules, 'AWS::Scheduler::Schedule') : logicalIdOfType(template, 'AWS::Scheduler::Schedule', logicalId);
  const props = resolveIntrinsics(template, resourcesOf(template)[id].Properties) as Record<string, any>;
  return {
    expression: props.ScheduleExpression,
    timeZone: props.ScheduleExpressionTimezone,
    input: JSON.parse(props.Target.Input),
    targetArn: props.Target.Arn,
  };
}

/** The ledger table's name: its logical id. */
export function ledgerTableName(template: Template): string {
  return onlyOne(Object.keys(resourcesOf(template)).filter((id) => TABLE_TYPES.includes(resourcesOf(template)[id].Type)), 'ledger table');
}

/** The ARN of the ledger table in the test account and Region. */
export function ledgerTableArn(template: Template): string {
  return arn('dynamodb', `table/${ledgerTableName(template)}`);
}

/**
 * The ledger table's resource-based policy, resolved, or undefined when it has
 * none: a `GlobalTable`'s is on its replica in the test Region.
 */
export function ledgerResourcePolicy(template: Template): PolicyDocument | undefined {
  const table = resourcesOf(template)[ledgerTableName(template)];
  const props = table.Properties ?? {};
  const policy = table.Type === 'AWS::DynamoDB::GlobalTable'
    ? (props.Replicas ?? []).find((r: any) => resolveIntrinsics(template, r.Region) === TEST_REGION)?.ResourcePolicy
    : props.ResourcePolicy;
  return policy === undefined ? undefined : normalise(template, policy.PolicyDocument);
}

/** The environment variables of the lifecycle and the rotation function, resolved. */
export function functionEnvironments(template: Template): { lifecycle: Record<string, string>; rotation: Record<string, string> } {
  const variables = (handler: string) =>
    resolveIntrinsics(template, functionWithHandler(template, handler)[1].Environment?.Variables ?? {}) as Record<string, string>;
  return { lifecycle: variables(LIFECYCLE_HANDLER), rotation: variables(ROTATION_HANDLER) };
}

/** The ARN of a function with this logical id in the test account and Region. */
export function functionArnOf(functionLogicalId: string): string {
  return arn('lambda', `function:${functionLogicalId}`);
}

/** The rotation function's logical id (its name, as the test account names functions). */
export function rotationFunctionName(template: Template): string {
  return functionWithHandler(template, ROTATION_HANDLER)[0];
}

/** The logical id of one of the stack's seal keys (HMAC keys made by the rotation services). */
export function sealKeyLogicalId(template: Template, which: 'settings' | 'state'): string {
  const suffix = which === 'settings' ? 'SettingsSealKey' : 'LedgerSealKey';
  const found = Object.entries(template.Resources ?? {})
    .filter(([id, r]: [string, any]) => r.Type === 'AWS::KMS::Key' && r.Properties?.KeySpec === 'HMAC_256' && id.includes(suffix));
  if (found.length !== 1) throw new Error(`expected one ${suffix} in the template, found ${found.length}`);
  return found[0][0];
}

/** The resolved key policies of the stack's two seal keys, as CloudFormation would create them. */
export function sealKeyPolicies(template: Template): { settings: string; state: string } {
  const policy = (which: 'settings' | 'state') =>
    JSON.stringify(resolveIntrinsics(template, template.Resources[sealKeyLogicalId(template, which)].Properties.KeyPolicy));
  return { settings: policy('settings'), state: policy('state') };
}

/** A custom event bus of the template, resolved. */
export interface EventBusSummary {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Its resource-based policy (`Policy`), if any. */
  readonly policy?: PolicyDocument;
}

/** Every `AWS::Events::EventBus` of the template. */
export function eventBusesOf(template: Template): EventBusSummary[] {
  return Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === 'AWS::Events::EventBus').map(([logicalId, r]) => ({
    logicalId,
    name: eventBusName(template, logicalId),
    arn: arn('events', `event-bus/${eventBusName(template, logicalId)}`),
    policy: r.Properties?.Policy === undefined ? undefined : normalise(template, r.Properties.Policy),
  }));
}

/** An EventBridge rule of the template, resolved. */
export interface EventRuleSummary {
  readonly logicalId: string;
  /** The name of its bus (`default` when the rule names none). */
  readonly eventBusName: string;
  readonly eventPattern: unknown;
  readonly targetArns: unknown[];
}

/** Every `AWS::Events::Rule` of the template. */
export function eventRulesOf(template: Template): EventRuleSummary[] {
  return Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === 'AWS::Events::Rule').map(([logicalId, r]) => {
    const props = resolveIntrinsics(template, r.Properties ?? {}) as Record<string, any>;
    const bus = props.EventBusName === undefined ? 'default' : String(props.EventBusName);
    return {
      logicalId,
      eventBusName: bus.startsWith('arn:') ? bus.slice(bus.lastIndexOf('/') + 1) : bus,
      eventPattern: props.EventPattern,
      targetArns: (props.Targets ?? []).map((t: any) => t.Arn),
    };
  });
}
