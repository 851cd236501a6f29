/**
 * Model-based property: random histories of scheduled runs, emergencies,
 * stack updates, deletes and re-deploys, the writer and the reader, forged
 * events and faults (throttling, 5xx, a function that fails at its only
 * attempt, a function that dies and leaves its lock, import tokens that expire
 * mid-run, two invocations at once) never break the design's invariants,
 * with the simulator's eventual consistency and authorization on and every
 * function holding only the permissions the construct synthesizes for it.
 *
 * The histories run on a worker thread (its own simulator and local DynamoDB;
 * the sources bundled, so they load in milliseconds) while this jest worker
 * waits: one busy thread per jest worker, so the suite stays within jest's
 * two workers (the tampering histories are model-tampering.test.ts, which
 * jest runs beside this file). Reproduce a failure outside jest with the
 * printed command (`npm run fuzz -- --seed S --path P`), which also shrinks it.
 */
import { envOptionsFor } from './env';
import { FAULT_KINDS } from './faults';
import { runParallel } from './parallel';
import { DEFAULT_SEED, describeWorld, formatReport } from './runner';

const HISTORIES = Number(process.env.MODEL_HISTORIES ?? 300);
/** Worker threads: one, as jest's other worker has the other core (more only when this file runs alone). */
const WORKERS = Number(process.env.MODEL_WORKERS ?? 1);

describe('model-based histories against the simulator', () => {
  test(`${HISTORIES} seeded histories keep every invariant after every step`, async () => {
    const started = Date.now();
    const { tally, reports, world } = await runParallel({
      seed: DEFAULT_SEED, runs: HISTORIES, shards: WORKERS, options: {}, env: envOptionsFor(DEFAULT_SEED), thread: true,
    });
    const failing = reports.filter((r) => r.violations.length > 0);
    // eslint-disable-next-line no-console
    console.log([
      tally.summary(),
      `lengths: ${tally.lengths()}`,
      `invocations: ${tally.outcomeSummary()}`,
      `faults by kind: ${tally.faults.breakdown()}`,
      describeWorld(world),
      `writer's Encrypt through a brand-new alias not found yet (eventual consistency, allowed): ${tally.freshAliasMisses}`,
      `wall time: ${((Date.now() - started) / 1000).toFixed(1)} s on ${WORKERS} worker(s)`,
      ...failing.slice(0, 3).map((r) => `\n${formatReport(r)}\nreplay and shrink: npm run fuzz -- --seed ${DEFAULT_SEED} --path "${r.id - 1}"`),
    ].join('\n'));
    expect(tally.histories).toBe(HISTORIES);
    expect(failing.map((r) => `history ${r.id}: ${r.violations[0]}`)).toEqual([]);
    // The world was hostile: every kind of fault was injected and had an effect, reads were stale,
    // new keys were not found, and authorization decided every request.
    for (const kind of FAULT_KINDS) expect(`${kind}: ${tally.faults.fired[kind]}`).not.toBe(`${kind}: 0`);
    expect(world.consistency).not.toBe(false);
    expect(world.staleReads + world.staleAliasResolutions).toBeGreaterThan(0);
    expect(world.newKeyNotFound).toBeGreaterThan(0);
    expect(world.authorization).not.toBe(false);
    expect(world.synthesizedPolicies).toBe(true);
    expect(world.allowed).toBeGreaterThan(0);
  }, 600_000);
});
