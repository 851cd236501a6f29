/**
 * A stack as a platform team writes it (a key group, a writer granted with
 * grantEncrypt, a reader granted with grantDecrypt, an operator granted with
 * grantRotateNow), synthesized, and everything a test needs to run the
 * functions with exactly the permissions it synthesizes: each role as a
 * principal of the simulator (access key id, role ARN, resolved identity
 * policies), the custom resource's properties, the schedule's input, the
 * ledger table's name.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';
import {
  customResourceProperties, functionRoles, identityPoliciesOf, ledgerResourcePolicy, ledgerTableName, roleArnOf, scheduleOf, sealKeyPolicies,
  TEST_ACCOUNT, TEST_REGION,
} from '../construct/synthesized-policies';
import type { PolicyDocument } from '../iam';

export interface StackPrincipal {
  readonly accessKeyId: string;
  readonly arn: string;
  readonly policies: PolicyDocument[];
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface DeployedStack {
  readonly template: Record<string, any>;
  readonly lifecycle: StackPrincipal;
  readonly rotation: StackPrincipal;
  readonly writer: StackPrincipal;
  readonly reader: StackPrincipal;
  readonly operator: StackPrincipal;
  /** Every principal above, for the simulator's authorization option. */
  readonly principals: StackPrincipal[];
  readonly resourceProperties: Record<string, string>;
  readonly scheduleInput: Record<string, unknown>;
  readonly tableName: string;
  /** The resolved key policies of the stack's seal keys (for Harness.start). */
  readonly sealKeyPolicies: { readonly settings: string; readonly state: string };
  /** The ledger table's resource-based policy, resolved (undefined: it has none). */
  readonly ledgerPolicy?: PolicyDocument;
}

/** The role with this logical id as a principal of the simulator, with its synthesized identity policies. */
export function stackPrincipal(template: Record<string, any>, roleLogicalId: string, accessKeyId: string): StackPrincipal {
  return {
    accessKeyId,
    arn: roleArnOf(roleLogicalId),
    policies: identityPoliciesOf(template, roleLogicalId) as unknown as PolicyDocument[],
    credentials: { accessKeyId, secretAccessKey: `${accessKeyId}-secret` },
  };
}

/** `props` may be a function of the stack, for props that are constructs of it (a material provider function). */
export function deployedStack(
  props: Partial<RotatingImportedKeyProps> | ((stack: Stack) => Partial<RotatingImportedKeyProps>) = {},
  /** More of the stack, around its key group (another key it protects, say). */
  extend?: (stack: Stack, key: RotatingImportedKey) => void,
): DeployedStack {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
  const key = new RotatingImportedKey(stack, 'TelemetryKey', {
    aliasName: 'alias/telemetry',
    groupId: 'telemetry-group',
    rotationInterval: RotationInterval.months(6),
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
    ...(typeof props === 'function' ? props(stack) : props),
  });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
  const writer = role('Writer');
  const reader = role('Reader');
  const operator = role('Operator');
  key.grantEncrypt(writer);
  key.grantDecrypt(reader);
  key.grantRotateNow(operator);
  extend?.(stack, key);
  const template = Template.fromStack(stack).toJSON();
  const roles = functionRoles(template);
  const id = (construct: iam.Role) => stack.getLogicalId(construct.node.defaultChild as iam.CfnRole);
  const deployed = {
    lifecycle: stackPrincipal(template, roles.lifecycle, 'AKIDLIFECYCLE'),
    rotation: stackPrincipal(template, roles.rotation, 'AKIDROTATION'),
    writer: stackPrincipal(template, id(writer), 'AKIDWRITER'),
    reader: stackPrincipal(template, id(reader), 'AKIDREADER'),
    operator: stackPrincipal(template, id(operator), 'AKIDOPERATOR'),
  };
  return {
    template,
    ...deployed,
    principals: Object.values(deployed),
    resourceProperties: customResourceProperties(template),
    scheduleInput: scheduleOf(template).input,
    tableName: ledgerTableName(template),
    sealKeyPolicies: sealKeyPolicies(template),
    ledgerPolicy: ledgerResourcePolicy(template) as unknown as PolicyDocument | undefined,
  };
}
