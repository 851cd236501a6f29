import { Duration, RemovalPolicy, TimeZone, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';

// Pure checks of RotatingImportedKey props. Each returns one message per
// problem; every message names the prop, the allowed values and what it got.
// Values that are still tokens are skipped: they are only known at deploy time.

/** User alias names: what KMS allows after `alias/`. */
export const ALIAS_NAME_PATTERN = /^alias\/[a-zA-Z0-9/_-]+$/;
/** Group ids become part of alias names and tag values. */
export const GROUP_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
/** Characters KMS accepts in tag keys and values. */
export const TAG_CHARSET_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The prefix of generation aliases, reserved for the rotation function. */
export const GENERATION_ALIAS_ROOT = 'alias/rotation/';
/** Sids the rotation function writes into every generation's key policy. */
export const RESERVED_SID_PREFIX = 'Rotation';
/** The Sid of the default (IAM delegation) statement of every generation. */
export const ROOT_STATEMENT_SID = 'EnableIamUserPermissions';

/** KMS allows 50 tags per key; the rotation function writes up to 15. */
export const MAX_USER_TAGS = 35;
const MAX_ALIAS_LENGTH = 256;
const MAX_DESCRIPTION_LENGTH = 8192;
const MIN_PENDING_WINDOW_DAYS = 7;
const MAX_PENDING_WINDOW_DAYS = 30;
const MIN_PROPAGATION_WINDOW_MINUTES = 5;
const MAX_PROPAGATION_WINDOW_MINUTES = 60;
/** The rotation function checks the same range (lambda/rotation/settings.ts). */
export const MIN_EMERGENCY_ROTATIONS_PER_DAY = 1;
export const MAX_EMERGENCY_ROTATIONS_PER_DAY = 24;

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Checks the user alias. */
export function validateAliasName(aliasName: string): string[] {
  if (Token.isUnresolved(aliasName)) return [];
  const problems: string[] = [];
  if (!ALIAS_NAME_PATTERN.test(aliasName)) {
    problems.push(`aliasName must match ${ALIAS_NAME_PATTERN.source} ('alias/' then letters, digits, '/', '_' or '-'); received ${show(aliasName)}`);
  }
  if (aliasName.length > MAX_ALIAS_LENGTH) {
    problems.push(`aliasName must be at most ${MAX_ALIAS_LENGTH} characters; received ${aliasName.length} characters`);
  }
  if (aliasName.toLowerCase().startsWith('alias/aws/')) {
    problems.push(`aliasName must not start with 'alias/aws/' (reserved for AWS managed keys); received ${show(aliasName)}`);
  }
  if (aliasName.startsWith(GENERATION_ALIAS_ROOT)) {
    problems.push(`aliasName must not start with '${GENERATION_ALIAS_ROOT}' (reserved for generation aliases); received ${show(aliasName)}`);
  }
  return problems;
}

/** Checks an explicit group id. */
export function validateGroupId(groupId: string): string[] {
  if (Token.isUnresolved(groupId)) {
    return ['groupId must be a literal string (it names aliases and IAM conditions at synth time); received a token'];
  }
  if (!GROUP_ID_PATTERN.test(groupId)) {
    return [`groupId must be 1 to 64 characters of A-Z, a-z, 0-9 and '-'; received ${show(groupId)}`];
  }
  return [];
}

function validateIntegerInRange(prop: string, value: number, min: number, max: number): string[] {
  if (Token.isUnresolved(value)) return [];
  if (!Number.isInteger(value) || value < min || value > max) {
    return [`${prop} must be a whole number from ${min} to ${max}; received ${show(value)}`];
  }
  return [];
}

/**
 * Checks the hour in which due rotations start and the schedule's minute. The
 * minute's remainder by 10 is written into the schedule expression, which has
 * no arithmetic, so it must be known at synth time.
 */
export function validateScheduleTime(hour: number, minute: number): string[] {
  const minuteProblems = Token.isUnresolved(minute)
    ? ['scheduleMinute must be a literal whole number from 0 to 59 (its remainder by 10 is written into the schedule expression at synth time); received a token']
    : validateIntegerInRange('scheduleMinute', minute, 0, 59);
  return [...validateIntegerInRange('scheduleHour', hour, 0, 23), ...minuteProblems];
}

let knownTimeZones: Set<string> | undefined;

function timeZoneNames(): Set<string> {
  if (!knownTimeZones) {
    const fromCdk = Object.values(TimeZone)
      .filter((v): v is TimeZone => v instanceof TimeZone)
      .map((tz) => tz.timezoneName);
    knownTimeZones = new Set<string>([...Intl.supportedValuesOf('timeZone'), ...fromCdk, 'UTC', 'Etc/UTC']);
  }
  return knownTimeZones;
}

function isIanaZone(name: string): boolean {
  if (timeZoneNames().has(name)) return true;
  // Intl knows backward-compatible links (US/Eastern, Asia/Calcutta) that are
  // not in its canonical list; it also accepts any case, IANA names do not.
  if (!/^[A-Z]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Checks the schedule's time zone against the IANA names this runtime knows. */
export function validateTimeZone(timeZone: TimeZone): string[] {
  const name = timeZone.timezoneName;
  if (Token.isUnresolved(name)) return [];
  if (!isIanaZone(name)) {
    return [`scheduleTimeZone must be an IANA time zone name such as 'Europe/Berlin' or 'Etc/UTC'; received ${show(name)}`];
  }
  return [];
}

/** Checks the deletion pending window. */
export function validatePendingWindow(window: Duration): string[] {
  if (window.isUnresolved()) return [];
  const days = window.toHours({ integral: false }) / 24;
  if (!Number.isInteger(days) || days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
    return [`pendingWindow must be whole days from ${MIN_PENDING_WINDOW_DAYS} to ${MAX_PENDING_WINDOW_DAYS}; received ${window.toHumanString()}`];
  }
  return [];
}

/** Checks how long the functions wait for authorization to see alias and tag changes. */
export function validatePropagationWindow(window: Duration): string[] {
  if (window.isUnresolved()) return [];
  const minutes = window.toSeconds({ integral: false }) / 60;
  if (!Number.isInteger(minutes) || minutes < MIN_PROPAGATION_WINDOW_MINUTES || minutes > MAX_PROPAGATION_WINDOW_MINUTES) {
    return [`propagationWindow must be whole minutes from ${MIN_PROPAGATION_WINDOW_MINUTES} to ${MAX_PROPAGATION_WINDOW_MINUTES}; received ${window.toHumanString()}`];
  }
  return [];
}

/** Checks how many emergency rotations (rotate-now) a group may start in any 24 hours. */
export function validateMaxEmergencyRotationsPerDay(perDay: number): string[] {
  return validateIntegerInRange('maxEmergencyRotationsPerDay', perDay, MIN_EMERGENCY_ROTATIONS_PER_DAY, MAX_EMERGENCY_ROTATIONS_PER_DAY);
}

/** Checks the removal policy: only RETAIN and DESTROY mean something for key generations. */
export function validateRemovalPolicy(policy: RemovalPolicy): string[] {
  if (policy !== RemovalPolicy.RETAIN && policy !== RemovalPolicy.DESTROY) {
    return [`removalPolicy must be RemovalPolicy.RETAIN or RemovalPolicy.DESTROY; received ${show(policy)}`];
  }
  return [];
}

/** Checks the key description. */
export function validateDescription(description: string): string[] {
  if (Token.isUnresolved(description)) return [];
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    return [`description must be at most ${MAX_DESCRIPTION_LENGTH} characters; received ${description.length} characters`];
  }
  return [];
}

/** Checks user tags against KMS rules and the tag keys the rotation function owns. */
export function validateTags(tags: { [key: string]: string }): string[] {
  const problems: string[] = [];
  const keys = Object.keys(tags);
  if (keys.length > MAX_USER_TAGS) {
    problems.push(`tags must have at most ${MAX_USER_TAGS} entries (KMS allows 50 per key; the rotation function writes up to 15); received ${keys.length}`);
  }
  for (const key of keys) {
    const value = tags[key];
    if (!Token.isUnresolved(key)) {
      const length = Array.from(key).length;
      if (length < 1 || length > 128) {
        problems.push(`tags: keys must be 1 to 128 characters; received ${show(key)} (${length} characters)`);
      }
      if (!TAG_CHARSET_PATTERN.test(key)) {
        problems.push(`tags: keys may contain only letters, digits, spaces and _ . : / = + - @; received ${show(key)}`);
      }
      const lower = key.toLowerCase();
      if (lower.startsWith('rotation:') || lower.startsWith('aws:')) {
        problems.push(`tags: keys must not start with 'rotation:' (written by the rotation function) or 'aws:' (reserved by AWS); received ${show(key)}`);
      }
    }
    if (typeof value !== 'string') {
      problems.push(`tags: values must be strings; received ${show(value)} for key ${show(key)}`);
      continue;
    }
    if (!Token.isUnresolved(value)) {
      const length = Array.from(value).length;
      if (length > 256) {
        problems.push(`tags: values must be at most 256 characters; received ${length} characters for key ${show(key)}`);
      }
      if (!TAG_CHARSET_PATTERN.test(value)) {
        problems.push(`tags: values may contain only letters, digits, spaces and _ . : / = + - @; received ${show(value)} for key ${show(key)}`);
      }
    }
  }
  return problems;
}

/** What the key-policy check needs to know beyond the statements. */
export interface KeyPolicyContext {
  /** Resolves tokens (Stack.resolve) so principals can be compared. */
  readonly resolve: (x: unknown) => unknown;
  /** Resolved principal values (as JSON) that must never be denied key-policy changes: the function roles. */
  readonly protectedPrincipals: string[];
}

function asArray(x: unknown): unknown[] {
  if (x === undefined) return [];
  return Array.isArray(x) ? x : [x];
}

function actionMatches(pattern: unknown, action: string): boolean {
  if (typeof pattern !== 'string') return false;
  const regex = new RegExp(
    '^' + pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('') + '$',
    'i',
  );
  return regex.test(action);
}

function deniesPutKeyPolicy(json: any): boolean {
  if (json.Action !== undefined) {
    return asArray(json.Action).some((a) => actionMatches(a, 'kms:PutKeyPolicy'));
  }
  if (json.NotAction !== undefined) {
    return !asArray(json.NotAction).some((a) => actionMatches(a, 'kms:PutKeyPolicy'));
  }
  return false;
}

function principalValues(principal: unknown): unknown[] {
  if (principal === undefined) return [];
  if (principal === '*') return ['*'];
  if (typeof principal === 'object' && principal !== null) {
    return asArray((principal as any).AWS);
  }
  return [];
}

function isProtected(value: unknown, context: KeyPolicyContext): boolean {
  if (value === '*') return true;
  if (typeof value === 'string' && (/^\d{12}$/.test(value) || /^arn:[^:]+:iam::[^:]*:root$/.test(value))) return true;
  const json = JSON.stringify(value);
  // An account root built from tokens resolves to Fn::Join ending in ":root".
  if (typeof value === 'object' && json.includes(':root"')) return true;
  return context.protectedPrincipals.includes(json);
}

/** Problems refuse the props; warnings are legal but risky. */
export interface KeyPolicyFindings {
  readonly problems: string[];
  readonly warnings: string[];
}

/** Checks the statements added to every generation's key policy. */
export function validateKeyPolicyStatements(statements: iam.PolicyStatement[], context: KeyPolicyContext): KeyPolicyFindings {
  const problems: string[] = [];
  const warnings: string[] = [];
  const seenSids = new Set<string>();
  statements.forEach((statement, index) => {
    const where = `policyStatements[${index}]`;
    for (const error of statement.validateForResourcePolicy()) {
      problems.push(`${where}: ${error} Key policy statements need a principal and a resource ('*' means this key)`);
    }
    const json = context.resolve(statement.toStatementJson()) as any;
    const sid = statement.sid;
    if (sid !== undefined && !Token.isUnresolved(sid)) {
      if (sid.startsWith(RESERVED_SID_PREFIX) || sid === ROOT_STATEMENT_SID) {
        problems.push(`${where}: Sid must not start with '${RESERVED_SID_PREFIX}' or be '${ROOT_STATEMENT_SID}' (written by the rotation function); received ${show(sid)}`);
      }
      if (seenSids.has(sid)) {
        problems.push(`${where}: Sid must be unique among policyStatements; received ${show(sid)} twice`);
      }
      seenSids.add(sid);
    }
    if (json.Effect !== 'Deny' || !deniesPutKeyPolicy(json)) return;
    let locksOut: boolean;
    if (json.NotPrincipal !== undefined) {
      const exempt = principalValues(json.NotPrincipal);
      const rootExempt = exempt.some((v) => v !== '*' && isProtected(v, { ...context, protectedPrincipals: [] }));
      const othersExempt = context.protectedPrincipals.every((p) => exempt.some((v) => JSON.stringify(v) === p));
      locksOut = !rootExempt || !othersExempt;
    } else {
      locksOut = principalValues(json.Principal).some((v) => isProtected(v, context));
    }
    if (!locksOut) return;
    const message = `${where}: denies kms:PutKeyPolicy (through ${show(json.Action ?? json.NotAction)}) to the account root or a function role (lifecycle or rotation); `
      + 'such a key policy locks the account and the functions out of every generation';
    if (json.Condition === undefined) {
      problems.push(`${message}. Remove the statement or narrow its principals or actions`);
    } else {
      warnings.push(`${message} when its conditions match. Check that they can never match for the account root or the function roles`);
    }
  });
  return { problems, warnings };
}

/** Checks the key of the functions' log groups: CloudWatch Logs needs a key ARN. */
export function validateLogEncryptionKey(key: kms.IKey | undefined): string[] {
  if (key === undefined) return [];
  if ('aliasName' in key) {
    return [`logEncryptionKey must be a KMS key (kms.Key, or kms.Key.fromKeyArn), not an alias or a RotatingImportedKey: CloudWatch Logs needs a key ARN; received ${key.node.path}`];
  }
  const arn = key.keyArn;
  if (!Token.isUnresolved(arn) && !arn.includes(':key/')) {
    return [`logEncryptionKey must have a key ARN (arn:...:key/...): CloudWatch Logs needs one; received ${show(arn)}`];
  }
  return [];
}

/** What the first key group of a stack decided for the services every group shares. */
export interface SharedOptions {
  /** Construct path of the key group that created the shared services. */
  readonly decidedBy: string;
  readonly logEncryptionKey?: kms.IKey;
  readonly deadLetterAlarmActions: cloudwatch.IAlarmAction[];
  readonly logRetention: logs.RetentionDays;
  readonly logRetentionGiven: boolean;
}

function retentionName(days: logs.RetentionDays): string {
  const name = Object.entries(logs.RetentionDays).find(([, v]) => v === days)?.[0];
  return name ? `RetentionDays.${name}` : `${days} days`;
}

/** Checks that a later key group of a stack asks for the same shared services as the first. */
export function validateSharedOptions(shared: SharedOptions, props: {
  readonly logEncryptionKey?: kms.IKey;
  readonly deadLetterAlarmActions?: cloudwatch.IAlarmAction[];
  readonly logRetention?: logs.RetentionDays;
}): string[] {
  const problems: string[] = [];
  if (props.logEncryptionKey !== undefined && props.logEncryptionKey !== shared.logEncryptionKey) {
    problems.push('logEncryptionKey must be the same for every key group of a stack (the log groups are shared) or omitted; '
      + `the first key group, ${shared.decidedBy}, set ${shared.logEncryptionKey ? shared.logEncryptionKey.node.path : 'none'}: pass the key to it`);
  }
  const actions = props.deadLetterAlarmActions;
  const decided = shared.deadLetterAlarmActions;
  if (actions !== undefined && (actions.length !== decided.length || actions.some((a, i) => a !== decided[i]))) {
    problems.push('deadLetterAlarmActions must be the same for every key group of a stack (the alarm is shared) or omitted; '
      + `the first key group, ${shared.decidedBy}, set ${shared.deadLetterAlarmActions.length} action(s): pass them to it, or call key.deadLetterAlarm.addAlarmAction()`);
  }
  if (props.logRetention !== undefined && props.logRetention !== shared.logRetention) {
    problems.push(`logRetention must be the same for every key group of a stack (the log groups are shared) or omitted; received ${retentionName(props.logRetention)}, `
      + `but the first key group, ${shared.decidedBy}, has ${retentionName(shared.logRetention)}${shared.logRetentionGiven ? '' : ' (the default)'}: set it there`);
  }
  return problems;
}

/** Checks the props of a key group that adopts the key its alias points at. */
export function validateAdopt(aliasName: string): string[] {
  if (Token.isUnresolved(aliasName)) {
    return ['adopt: aliasName must be a literal string when adopting (the alias names the adopted key in the functions\' IAM conditions and is checked against the app\'s other aliases at synth time); received a token'];
  }
  return [];
}

/**
 * Problems of an adopted alias that CloudFormation manages elsewhere in the
 * app (a `kms.Alias`, the `alias` prop of a `kms.Key`, an `AWS::KMS::Alias`):
 * that stack would move the alias back to its own key, or delete it.
 */
export function adoptedAliasConflicts(group: IConstruct, aliasName: string): string[] {
  if (Token.isUnresolved(aliasName)) return [];
  return group.node.root.node.findAll()
    .filter((c): c is kms.CfnAlias => c instanceof kms.CfnAlias && !Token.isUnresolved(c.aliasName) && c.aliasName === aliasName)
    .map((c) => `adopt: aliasName ${show(aliasName)} is also declared by ${c.node.path} (an AWS::KMS::Alias) in this app; `
      + 'CloudFormation would move the adopted alias back to that key or delete it. Remove that alias from the app before adopting it (or remove adopt)');
}
