import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';

/** The props every test starts from. */
export const BASE_PROPS: RotatingImportedKeyProps = {
  aliasName: 'alias/telemetry',
  rotationInterval: RotationInterval.months(6),
};

/** A fresh stack in its own app (no feature flags unless given). */
export function newStack(context: Record<string, unknown> = {}): Stack {
  const app = new App({ context });
  return new Stack(app, 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' } });
}

/** A stack, its key, and its template rendered on demand. */
export interface KeySetup {
  readonly stack: Stack;
  readonly key: RotatingImportedKey;
  readonly template: () => Template;
}

/** A stack with one key built from BASE_PROPS plus overrides. */
export function stackWithKey(overrides: Partial<RotatingImportedKeyProps> = {}): KeySetup {
  const stack = newStack();
  const key = new RotatingImportedKey(stack, 'TelemetryKey', { ...BASE_PROPS, ...overrides });
  return { stack, key, template: () => Template.fromStack(stack) };
}

/** A policy statement as CloudFormation renders it. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Sid?: string;
}

/** Every statement of every AWS::IAM::Policy whose logical id starts with the prefix. */
export function statementsOf(template: Template, logicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .flatMap(([, policy]) => (policy as any).Properties.PolicyDocument.Statement as Statement[]);
}

/** The statements of the shared rotation role. */
export function rotationRoleStatements(template: Template): Statement[] {
  return statementsOf(template, 'RotatingImportedKeyRotationRoleDefaultPolicy');
}

/** The actions of a statement as a list. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The statements that allow the given action. */
export function statementsWith(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => actionsOf(s).includes(action));
}

/** The only statement that allows the action; fails the test when there are none or several. */
export function onlyStatementWith(statements: Statement[], action: string): Statement {
  const found = statementsWith(statements, action);
  if (found.length !== 1) {
    throw new Error(`expected exactly one statement with ${action}, found ${found.length}: ${JSON.stringify(found)}`);
  }
  return found[0];
}

/** The ARN pattern of every key in the stack's account and Region, as rendered. */
export const ALL_KEYS_ARN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:eu-west-1:111122223333:key/*']],
};

/** Renders an alias ARN the way the stack formats it. */
export function aliasArn(aliasName: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:111122223333:${aliasName}`]] };
}

/** The logical id of the only resource of a type. */
export function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
}
