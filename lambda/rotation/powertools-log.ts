/**
 * Adapts Powertools for AWS Lambda's structured JSON logger to the function's Log.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Log } from './context';

export function powertoolsLog(logger: Logger): Log {
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
