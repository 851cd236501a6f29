/**
 * A log that passes every line on and counts what the metrics need from the
 * engine's own lines: the ERROR lines that report tampering (audit.ts writes
 * them with a `tampering` attribute), and whether any ERROR line was written.
 */
import { Log } from './context';

export interface ObservedLog {
  readonly log: Log;
  /** ERROR lines `tampering detected` so far. */
  tamperingReports(): number;
}

export function observeLog(log: Log): ObservedLog {
  let tampering = 0;
  return {
    log: {
      info: (message, attributes) => log.info(message, attributes),
      warn: (message, attributes) => log.warn(message, attributes),
      error: (message, attributes) => {
        if (attributes?.tampering !== undefined) tampering += 1;
        log.error(message, attributes);
      },
    },
    tamperingReports: () => tampering,
  };
}
