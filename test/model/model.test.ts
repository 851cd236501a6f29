/**
 * Model-based property: random histories of scheduled runs, emergencies,
 * stack updates, deletes and re-deploys, the writer and the reader, forged
 * events and faults (throttling, 5xx, a function that fails at its only
 * attempt, a function that dies and leaves its lock, import tokens that expire
 * mid-run, two invocations at once) never break the design's invariants,
 * with the simulator's eventual consistency and authorization on and every
 * function holding only the permissions the construct synthesizes for it.
 *
 * The histories run on two worker threads (one simulator and one local
 * DynamoDB each). Reproduce a failure outside jest with the printed command
 * (`npm run fuzz -- --seed S --path P`), which also shrinks it.
 */
import { availableParallelism } from 'node:os';
import { envOptionsFor } from './env';
import { FAULT_KINDS } from './faults';
import { runParallel } from './parallel';
import { DEFAULT_SEED, describeWorld, formatReport } from './runner';

const HISTORIES = Number(process.env.MODEL_HISTORIES ?? 300);
const TAMPERING_HISTORIES = Number(process.env.MODEL_TAMPERING_HISTORIES ?? 300);
/** One worker thread per core, two at most (the CI machine has two). */
const WORKERS = Number(process.env.MODEL_WORKERS ?? Math.max(1, Math.min(2, availableParallelism())));

describe('model-based histories against the simulator', () => {
  test(`${HISTORIES} seeded histories keep every invariant after every step`, async () => {
    const started = Date.now();
    const { tally, reports, world } = await runParallel({
      seed: DEFAULT_SEED, runs: HISTORIES, shards: WORKERS, options: {}, env: envOptionsFor(DEFAULT_SEED),
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

  // A dedicated, shorter shape (tampering.ts): half of the commands are the tampering actor's.
  test(`${TAMPERING_HISTORIES} seeded histories with a tampering actor: no KMS write the deployed configuration does not allow, every tampering reported`, async () => {
    const started = Date.now();
    const seed = DEFAULT_SEED + 1;
    const { tally, reports } = await runParallel({
      seed, runs: TAMPERING_HISTORIES, shards: WORKERS, options: { tampering: true }, env: envOptionsFor(seed),
    });
    const failing = reports.filter((r) => r.violations.length > 0);
    const steps = reports.flatMap((r) => r.trace).filter((t) => t.startsWith('tampering: '));
    const kinds = (re: RegExp) => steps.filter((t) => re.test(t)).length;
    const seen = {
      ledgerRefused: kinds(/^tampering: the ledger entry .*failed: LedgerTamperedError/),
      sealKept: kinds(/seal kept\), then/),
      sealDropped: kinds(/seal dropped\), then/),
      readByDeploy: kinds(/then update, then restored {2}-> update: failed: LedgerTamperedError/),
      foreignStack: kinds(/foreign (Update|Delete): failed: InvalidRequestError/),
      relabelled: kinds(/^tampering: the \w+ key tagged/),
    };
    // eslint-disable-next-line no-console
    console.log([
      tally.summary(),
      `lengths: ${tally.lengths()}`,
      `tampering steps: ${JSON.stringify(seen)}`,
      `invocations: ${tally.outcomeSummary()}`,
      `wall time: ${((Date.now() - started) / 1000).toFixed(1)} s on ${WORKERS} worker(s)`,
      ...failing.slice(0, 3).map((r) => `\n${formatReport(r)}\nreplay and shrink: npm run fuzz -- --tampering --seed ${seed} --path "${r.id - 1}"`),
    ].join('\n'));
    expect(tally.histories).toBe(TAMPERING_HISTORIES);
    expect(failing.map((r) => `history ${r.id}: ${r.violations[0]}`)).toEqual([]);
    for (const [kind, n] of Object.entries(seen)) expect(`${kind}: ${n}`).not.toBe(`${kind}: 0`);
  }, 600_000);
});
