import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const INVOKE_GUARD_SID = 'DenyInvokeToAllButTheProvider';

/**
 * A resource-based policy that denies invoking `fn` to every principal but
 * `callerRoleArns`. Inside one account, Lambda lets a caller through when its
 * identity policy OR the function's policy allows; an explicit Deny in either
 * wins, so `lambda:InvokeFunction` on `*` in an identity policy is not enough.
 */
export function invokeGuardPolicy(functionArn: string, callerRoleArns: string[]): Record<string, unknown> {
  return new iam.PolicyDocument({
    statements: [new iam.PolicyStatement({
      sid: INVOKE_GUARD_SID,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['lambda:InvokeFunction'],
      resources: [functionArn, `${functionArn}:*`],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': callerRoleArns } },
    })],
  }).toJSON();
}

export function guardInvocation(scope: Construct, id: string, fn: lambda.IFunction, callerRoleArns: string[]): lambda.CfnResourcePolicy {
  return new lambda.CfnResourcePolicy(scope, id, {
    resourceArn: fn.functionArn,
    policyDocument: invokeGuardPolicy(fn.functionArn, callerRoleArns),
  });
}
