/**
 * What the tests of material provider functions share: a stack whose material
 * comes from the reference HSM provider (plus any props of the test), and per
 * test a harness with exactly the synthesized policies, the provider behind a
 * Lambda Invoke endpoint that authorizes its callers, and the functions
 * signed as their roles.
 */
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { deployedStack, DeployedStack } from './deployed-stack';
import { Functions, Harness } from './harness';
import { LambdaEndpoint } from './lambda-endpoint';
import { ReferenceHsmProvider } from './reference-hsm-provider';
import { KeyMaterialSource, RotatingImportedKeyProps } from '../../lib';
import { TEST_ACCOUNT, TEST_REGION } from '../construct/synthesized-policies';

export const PROVIDER_ARN = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:reference-hsm`;

export function providerStack(props: (stack: Stack) => Partial<RotatingImportedKeyProps> = () => ({})): DeployedStack {
  return deployedStack((s) => ({ material: KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(s, 'Hsm', PROVIDER_ARN)), ...props(s) }));
}

export interface ProviderWorld {
  readonly h: Harness;
  readonly f: Functions;
  readonly hsm: ReferenceHsmProvider;
  readonly endpoint: LambdaEndpoint;
  /** The same functions, waiting at most `providerTimeoutMs` (real time) for the provider (for tests of a time-out). */
  withProviderTimeout(providerTimeoutMs: number): Functions;
  stop(): Promise<void>;
}

/**
 * The provider is a real HTTP call, and the time-out a real-time one: by default a budget no answering provider
 * reaches however loaded the machine (a test of a time-out asks for a short one: `withProviderTimeout`).
 */
export async function startProviderWorld(stack: DeployedStack, providerTimeoutMs = 60_000): Promise<ProviderWorld> {
  const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
  const hsm = new ReferenceHsmProvider();
  const endpoint = await LambdaEndpoint.start([{ name: 'reference-hsm', arn: PROVIDER_ARN, invoke: (e) => hsm.invoke(e) }], stack.principals);
  const functions = (timeoutMs: number) => h.functions({
    credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials },
    lambdaEndpoint: endpoint.url,
    providerTimeoutMs: timeoutMs,
  });
  return {
    h,
    f: functions(providerTimeoutMs),
    hsm,
    endpoint,
    withProviderTimeout: functions,
    stop: async () => {
      await endpoint.stop();
      await h.stop();
    },
  };
}
