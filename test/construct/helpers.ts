import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { functionRoles, identityStatementsOf, TEST_ACCOUNT, TEST_REGION } from './synthesized-policies';
import { KeyMaterialSource, MaterialExpiration, RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';

/** The props every test starts from. */
export const BASE_PROPS: RotatingImportedKeyProps = {
  aliasName: 'alias/telemetry',
  rotationInterval: RotationInterval.months(6),
};

/** A fresh stack in its own app, in the test account and Region (no feature flags unless given). */
export function newStack(context: Record<string, unknown> = {}): Stack {
  const app = new App({ context });
  return new Stack(app, 'TestStack', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
}

/** A stack, its key, and its template rendered on demand. */
export interface KeySetup {
  readonly stack: Stack;
  readonly key: RotatingImportedKey;
  readonly template: () => Template;
}

/** A stack with one key built from BASE_PROPS plus overrides (made in the stack, for props that need a scope). */
export function stackWithKey(overrides: Partial<RotatingImportedKeyProps> | ((stack: Stack) => Partial<RotatingImportedKeyProps>) = {}): KeySetup {
  const stack = newStack();
  const props = typeof overrides === 'function' ? overrides(stack) : overrides;
  const key = new RotatingImportedKey(stack, 'TelemetryKey', { ...BASE_PROPS, ...props });
  return { stack, key, template: () => Template.fromStack(stack) };
}

/** A policy statement as a deployment sees it (intrinsics resolved). */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Sid?: string;
}

/** The resolved identity statements of one of the shared roles. */
export function roleStatements(template: Template, role: 'lifecycle' | 'rotation' | 'scheduler'): Statement[] {
  const json = template.toJSON();
  return identityStatementsOf(json, functionRoles(json)[role]);
}

/** The logical id of the only role whose logical id starts with the prefix (the construct id). */
export function roleIdOf(template: Template, prefix: string): string {
  const ids = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one role starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

/** The resolved identity statements of the only role whose logical id starts with the prefix. */
export function statementsOfRole(template: Template, prefix: string): Statement[] {
  return identityStatementsOf(template.toJSON(), roleIdOf(template, prefix));
}

/** The actions of a statement as a list. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The resources of a statement as a list. */
export function resourcesOf(statement: Statement): string[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
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

/** The statements about KMS keys and aliases (and the tagging API), without logs, ledger and queue. */
export function kmsStatements(statements: Statement[]): Statement[] {
  return statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:') || a.startsWith('tag:')));
}

/** The ARN pattern of every key in the test account and Region. */
export const KEY_ARNS = `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*`;

/** An alias ARN in the test account and Region. */
export function aliasArn(aliasName: string): string {
  return `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:${aliasName}`;
}

/** The logical id of the only resource of a type. */
export function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
}

/** The ARN of the material provider function the expiring-material stacks use. */
export const PROVIDER_ARN = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:hsm-provider`;

/** Material that expires after `days`, from a provider function (the source expiry needs: it re-imports automatically). */
export function expiringProvidedMaterial(scope: Construct, days: number, id = 'HsmProvider'): Partial<RotatingImportedKeyProps> {
  return {
    materialExpiration: MaterialExpiration.afterDays(days),
    material: KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(scope, id, PROVIDER_ARN)),
  };
}
