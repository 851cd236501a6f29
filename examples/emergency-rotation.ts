// Emergency rotation: an on-call role that may start a rotation now (and do
// nothing else), and the function name it invokes, as an output:
//   aws lambda invoke --function-name <RotationFunctionName> \
//     --cli-binary-format raw-in-base64-out \
//     --payload '{"action":"rotate-now","aliasName":"alias/example/payments"}' response.json
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RotatingImportedKey, RotationInterval } from 'cdk-rotating-imported-key';

export function build(app: App): Stack {
  const stack = new Stack(app, 'EmergencyRotationExample');
  const key = new RotatingImportedKey(stack, 'PaymentsKey', {
    aliasName: 'alias/example/payments',
    rotationInterval: RotationInterval.months(12),
  });
  const onCall = new iam.Role(stack, 'OnCall', {
    assumedBy: new iam.AccountRootPrincipal(),
    description: 'On-call operators who may start an emergency key rotation',
  });
  // lambda:InvokeFunction on the rotation function only: it cannot change settings or delete keys.
  key.grantRotateNow(onCall);
  new CfnOutput(stack, 'RotationFunctionName', { value: key.rotationFunction.functionName });
  new CfnOutput(stack, 'AliasName', { value: key.aliasName });
  new CfnOutput(stack, 'OnCallRoleArn', { value: onCall.roleArn });
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
