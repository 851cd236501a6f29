/**
 * Model-based property: random histories of scheduled runs, emergencies,
 * stack updates, deletes and re-deploys, the writer and the reader, forged
 * events and faults (throttling, 5xx, a function that fails at its only
 * attempt, a function that dies and leaves its lock, import tokens that expire
 * mid-run, two invocations at once) never break the design's invariants,
 * with the simulator's eventual consistency and authorization on and every
 * function holding only the permissions the construct synthesizes for it.
 *
 * The 300 histories of CI are split into parts, one jest file each
 * (model-part-N-of-M.test.ts), so that no file holds a core for more than a
 * minute: each part runs its histories (every M-th, by run index) on one
 * worker thread (its own simulator and local DynamoDB; the sources bundled,
 * so they load in milliseconds) while its jest worker waits, so the suite
 * stays within jest's two workers. Every part checks every invariant and that
 * its own histories met every kind of fault. Reproduce a failure outside jest
 * with the printed command (`npm run fuzz -- --seed S --path P`), which also
 * shrinks it.
 */
import { envOptionsFor } from './env';
import { FAULT_KINDS } from './faults';
import { runParallel } from './parallel';
import { DEFAULT_SEED, describeWorld, formatReport } from './runner';

const HISTORIES = Number(process.env.MODEL_HISTORIES ?? 300);

/** Part `part` (0-based) of `parts`: the histories whose run index is `part` modulo `parts`. */
export function describeModelHistories(part: number, parts: number): void {
  const mine = Math.floor(HISTORIES / parts) + (part < HISTORIES % parts ? 1 : 0);
  describe(`model-based histories against the simulator, part ${part + 1} of ${parts}`, () => {
    test(`${mine} of ${HISTORIES} seeded histories keep every invariant after every step`, async () => {
      const started = Date.now();
      const { tally, reports, world } = await runParallel({
        seed: DEFAULT_SEED, runs: HISTORIES, shards: parts, only: part, options: {}, env: envOptionsFor(DEFAULT_SEED), thread: true,
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
        `wall time: ${((Date.now() - started) / 1000).toFixed(1)} s on one worker thread`,
        ...failing.slice(0, 3).map((r) => `\n${formatReport(r)}\nreplay and shrink: npm run fuzz -- --seed ${DEFAULT_SEED} --path "${r.id - 1}"`),
      ].join('\n'));
      expect(tally.histories).toBe(mine);
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
    });
  });
}
