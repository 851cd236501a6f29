/**
 * The Lambda client module, loaded at its first use: only key groups whose
 * material comes from a provider function need it (in the shipped bundle it
 * is a file of its own, see lambda/lambda-sdk-shipped.ts).
 */
export type LambdaSdk = typeof import('@aws-sdk/client-lambda');

let loaded: LambdaSdk | undefined;

export function lambdaSdk(): LambdaSdk {
  // A require at the first use, not an import: the bundle must not load the client at a cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return loaded ??= require('@aws-sdk/client-lambda') as LambdaSdk;
}
