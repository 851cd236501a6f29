/**
 * Model-based property: random histories of scheduled runs, emergencies,
 * stack updates, deletes and re-deploys, the writer and the reader, forged
 * events and faults (throttling, 5xx, a function that fails at its only
 * attempt, a function that dies and leaves its lock, import tokens that expire
 * mid-run, two invocations at once) never break the design's invariants,
 * with the simulator's eventual consistency and authorization on and every
 * function holding only the permissions the construct synthesizes for it.
 *
 * Reproduce a failure with the printed seed and path, or outside jest:
 * `npm run fuzz -- --runs 300 --seed 20261122`.
 */
import fc from 'fast-check';
import { envOptionsFor, ModelEnv } from './env';
import { FAULT_KINDS } from './faults';
import { DEFAULT_SEED, historyProperty, Tally, worldSummary } from './runner';

const HISTORIES = Number(process.env.MODEL_HISTORIES ?? 300);

describe('model-based histories against the simulator', () => {
  let env: ModelEnv;
  beforeAll(async () => { env = await ModelEnv.start(envOptionsFor(DEFAULT_SEED)); }, 120_000);
  afterAll(async () => env.stop());

  test(`${HISTORIES} seeded histories keep every invariant after every step`, async () => {
    const tally = new Tally();
    const started = Date.now();
    let shrinking = false;
    try {
      await fc.assert(historyProperty(env, {}, (r) => {
        if (shrinking) return;
        tally.add(r);
        shrinking = r.violations.length > 0;
      }), { seed: DEFAULT_SEED, numRuns: HISTORIES });
    } finally {
      // eslint-disable-next-line no-console
      console.log([
        tally.summary(),
        `lengths: ${tally.lengths()}`,
        `faults by kind: ${tally.faults.breakdown()}`,
        worldSummary(env),
        `writer's Encrypt of a brand-new alias not found yet (eventual consistency, allowed): ${tally.freshAliasMisses}`,
        `wall time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ].join('\n'));
    }
    expect(tally.histories).toBe(HISTORIES);
    expect(tally.failed).toBe(0);
    // The world was hostile: every kind of fault was injected and had an effect, reads were stale, authorization decided.
    for (const kind of FAULT_KINDS) expect(tally.faults.fired[kind]).toBeGreaterThan(0);
    expect(env.h.sim.consistency.total).toBeGreaterThan(0);
    expect(env.h.sim.authorization.decisions.allowed()).toBeGreaterThan(0);
  }, 600_000);
});
