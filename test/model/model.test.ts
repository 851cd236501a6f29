/**
 * Model-based property: random histories of schedules, emergencies, stack
 * updates, deletes and re-creates, encryptions and faults (throttling, 5xx, a
 * function that dies after any call, import tokens that expire mid-run,
 * concurrent invocations) never break the design's invariants.
 *
 * Reproduce a failure with the printed seed and path, or outside jest:
 * `npm run fuzz -- --runs 300 --seed 20261122`.
 */
import fc from 'fast-check';
import { ModelEnv } from './env';
import { FAULT_KINDS } from './faults';
import { DEFAULT_SEED, historyProperty, Tally } from './runner';

const HISTORIES = 300;

describe('model-based histories against the simulator', () => {
  let env: ModelEnv;
  beforeAll(async () => { env = await ModelEnv.start(); });
  afterAll(async () => env.stop());

  test(`${HISTORIES} seeded histories keep every invariant after every step`, async () => {
    const tally = new Tally();
    const started = Date.now();
    let shrinking = false;
    await fc.assert(historyProperty(env, {}, (r) => {
      if (shrinking) return;
      tally.add(r);
      shrinking = r.violations.length > 0;
    }), { seed: DEFAULT_SEED, numRuns: HISTORIES });
    // eslint-disable-next-line no-console
    console.log([
      tally.summary(),
      `lengths: ${tally.lengths()}`,
      `faults by kind: ${tally.faults.breakdown()}`,
      `wall time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ].join('\n'));
    expect(tally.histories).toBe(HISTORIES);
    // Every kind of fault was injected and had an effect at least once.
    for (const kind of FAULT_KINDS) {
      expect(tally.faults.fired[kind]).toBeGreaterThan(0);
    }
  }, 600_000);
});
