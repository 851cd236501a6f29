/**
 * The rotation function: EventBridge Scheduler target, emergency entry point and
 * CloudFormation custom resource handler for every key group of a stack.
 * Bundled with esbuild into assets/lambda/rotation-function/index.js.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createHandler, HandlerOptions, HandlerResult } from './rotation/handler';
import { powertoolsLog } from './rotation/powertools-log';

const log = powertoolsLog(new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rotating-imported-key' }));

export const handler: (event: unknown) => Promise<HandlerResult> = createHandler({ log });

/** For tests of the shipped bundle: the same handler with an injected clock or logger. */
export function createRotationHandler(options: Partial<HandlerOptions>): (event: unknown) => Promise<HandlerResult> {
  return createHandler({ log, ...options });
}
