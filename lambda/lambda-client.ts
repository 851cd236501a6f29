/**
 * The Lambda client of the rotation function, bundled on its own into
 * assets/lambda/rotation-function/lambda-client.js (see .projenrc.ts) and
 * loaded only when a key group's material comes from a provider function
 * (KeyMaterialSource.fromFunction): groups with generated material never pay
 * for its bytes at a cold start.
 */
export { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
