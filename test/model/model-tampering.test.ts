/**
 * Model-based property with a tampering actor (tampering.ts): seeded histories where half of the commands are
 * the actor's never make a KMS write the deployed configuration does not allow, and every tampering is reported.
 *
 * Beside the parts of the plain histories (model-part-N-of-2.test.ts; jest runs two files at a time), on one worker
 * thread of its own.
 * Reproduce a failure outside jest with the printed command, which also shrinks it.
 */
import { envOptionsFor } from './env';
import { runParallel } from './parallel';
import { DEFAULT_SEED, formatReport } from './runner';

const TAMPERING_HISTORIES = Number(process.env.MODEL_TAMPERING_HISTORIES ?? 300);
/** Worker threads: one, as jest's other worker has the other core (more only when this file runs alone). */
const WORKERS = Number(process.env.MODEL_WORKERS ?? 1);

describe('model-based histories with a tampering actor', () => {
  // A dedicated, shorter shape (tampering.ts): half of the commands are the tampering actor's.
  test(`${TAMPERING_HISTORIES} seeded histories with a tampering actor: no KMS write the deployed configuration does not allow, every tampering reported`, async () => {
    const started = Date.now();
    const seed = DEFAULT_SEED + 1;
    const { tally, reports } = await runParallel({
      seed, runs: TAMPERING_HISTORIES, shards: WORKERS, options: { tampering: true }, env: envOptionsFor(seed), thread: true,
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
  });
});
