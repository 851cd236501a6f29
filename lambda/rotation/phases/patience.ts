/**
 * Waiting out the account's request quota. A throttled request was not
 * carried out, so asking again is always safe: once the SDK's own retries
 * give up, ask again every second or two (jittered) for as long as the run
 * has time; then the throttling ends the run cleanly and the next run goes on.
 */
import { Deps, isThrottling } from '../context';

/** Keep this much of the run for the phases after the patient call. */
const RESERVE_MS = 60_000;

export async function patientlyThrottled<T>(d: Deps, run: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await run();
    } catch (e) {
      if (!isThrottling(e) || d.remainingMs() < RESERVE_MS) throw e;
      // Steady, jittered demand: a second or two between asks keeps the quota busy without a storm.
      await d.sleep(1000 + Math.floor(Math.random() * 1500));
    }
  }
}
