/**
 * The bundle of the two functions of a stack: the lifecycle function (the
 * custom-resource provider's handler) and the rotation function (the
 * schedules' target and the emergency entry point). Bundled with esbuild into
 * assets/lambda/rotation-function/index.js.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createLifecycleHandler, createRotationFunctionHandler, createRotationHandler, HandlerOptions } from './rotation/handler';
import { powertoolsLog } from './rotation/powertools-log';

const log = powertoolsLog(new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rotating-imported-key' }));

export const lifecycleHandler = createLifecycleHandler({ log });
/** The schedules' target and the emergency entry point; the per-stack schedule's `{"action":"sweep"}` too. */
export const rotationHandler = createRotationFunctionHandler({ log });

/** For tests of the shipped bundle: the same entry points with injected clients, clock or logger. */
export function createHandlers(options: Partial<HandlerOptions>) {
  return {
    lifecycle: createLifecycleHandler({ log, ...options }),
    rotation: createRotationHandler({ log, ...options }),
  };
}
