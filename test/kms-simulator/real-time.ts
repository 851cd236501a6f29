/**
 * Real (wall-clock) time for the parts of the simulator that are not on the simulated clock:
 * request quotas and the HTTP `Date` header. `Date.now` is captured when this module loads,
 * so tests that later replace the global `Date` (fake timers) do not move it.
 */
const dateNow = Date.now;

export function realNowMs(): number {
  return dateNow();
}
