/**
 * The example app (example/app.ts, what `npx cdk synth` renders) as a
 * deployment sees it: synthesized with cdk.json's context, its intrinsics
 * resolved (test/construct/synthesized-policies.ts), and everything the demo
 * needs to play CloudFormation and EventBridge Scheduler against the shipped
 * functions: the custom resource's Create event, the schedule, each role as a
 * principal of the KMS simulator with its synthesized policies, and each
 * function's environment.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExampleStack } from '../example/example-stack';
import {
  customResourceProperties, functionEnvironments, functionRoles, KEY_GROUP_TYPE, ledgerTableName, scheduleOf, ScheduleSummary,
  TEST_ACCOUNT, TEST_REGION,
} from '../test/construct/synthesized-policies';
import { stackPrincipal, StackPrincipal } from '../test/rotation/deployed-stack';
import { cfnEvent } from '../test/rotation/fixtures';

/** The stack name example/app.ts gives the example stack. */
export const EXAMPLE_STACK_NAME = 'RotatingImportedKeyExample';

export interface ExampleDeployment {
  readonly stackName: string;
  readonly template: Record<string, any>;
  /** Logical id of the key group's custom resource. */
  readonly keyGroupLogicalId: string;
  readonly resourceProperties: Record<string, string>;
  readonly groupId: string;
  readonly aliasName: string;
  readonly intervalMonths: number;
  readonly schedule: ScheduleSummary;
  readonly tableName: string;
  /** The functions' environment variables, as synthesized. */
  readonly environments: { readonly lifecycle: Record<string, string>; readonly rotation: Record<string, string> };
  readonly lifecycle: StackPrincipal;
  readonly rotation: StackPrincipal;
  /** The example's application role (grantEncryptDecrypt). */
  readonly app: StackPrincipal;
  /** The example's operator role (grantRotateNow). */
  readonly operator: StackPrincipal;
  readonly principals: StackPrincipal[];
  /** Role names (logical ids) for the narrative. */
  readonly roleNames: { readonly lifecycle: string; readonly rotation: string; readonly app: string };
}

/** The context `npx cdk synth` gives the app (cdk.json), so the demo deploys what it renders. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export function synthesizeExample(): ExampleDeployment {
  // The same template `npx cdk synth` renders. CDK's built-in CloudFormation validation (a WASM
  // engine, most of a fresh process's synth time) checks it without changing it; `npx cdk synth`
  // and test/construct/example.test.ts run it, the demo skips it.
  const app = new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false });
  const stack = new ExampleStack(app, EXAMPLE_STACK_NAME);
  const template = Template.fromStack(stack).toJSON();
  const keyGroups = Object.keys(template.Resources).filter((id) => template.Resources[id].Type === KEY_GROUP_TYPE);
  if (keyGroups.length !== 1) throw new Error(`the example app should have one key group, found ${keyGroups.length}`);
  const resourceProperties = customResourceProperties(template, keyGroups[0]);
  const roles = functionRoles(template);
  const roleId = (role: iam.Role) => Stack.of(role).getLogicalId(role.node.defaultChild as iam.CfnRole);
  const principals = {
    lifecycle: stackPrincipal(template, roles.lifecycle, 'AKIDLIFECYCLE'),
    rotation: stackPrincipal(template, roles.rotation, 'AKIDROTATION'),
    app: stackPrincipal(template, roleId(stack.appRole), 'AKIDAPPROLE'),
    operator: stackPrincipal(template, roleId(stack.operatorRole), 'AKIDOPERATOR'),
  };
  return {
    stackName: EXAMPLE_STACK_NAME,
    template,
    keyGroupLogicalId: keyGroups[0],
    resourceProperties,
    groupId: resourceProperties.GroupId,
    aliasName: resourceProperties.AliasName,
    intervalMonths: Number(resourceProperties.IntervalMonths),
    schedule: scheduleOf(template),
    tableName: ledgerTableName(template),
    environments: functionEnvironments(template),
    ...principals,
    principals: Object.values(principals),
    roleNames: { lifecycle: roles.lifecycle, rotation: roles.rotation, app: roleId(stack.appRole) },
  };
}

/** The Create event CloudFormation sends (through the provider framework) for the key group. */
export function createEvent(d: ExampleDeployment): Record<string, unknown> {
  return cfnEvent('Create', d.resourceProperties, {
    // The stack the lifecycle function belongs to (its STACK_ID): it refuses events of any other.
    StackId: d.environments.lifecycle.STACK_ID ?? `arn:aws:cloudformation:${TEST_REGION}:${TEST_ACCOUNT}:stack/${d.stackName}/${randomUUID()}`,
    RequestId: randomUUID(),
    LogicalResourceId: d.keyGroupLogicalId,
  });
}
