/**
 * `npm run demo` (demo/run.ts) as a newcomer runs it, in its own process,
 * judged by what it prints: the example's key group rotated on its due dates
 * for 24 months by the shipped bundle, a passing report after each rotation,
 * every reading decrypted, retired generations refusing encryption by their
 * key policy, exit status 0, and output short enough to read.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLE } from '../rotation/bundle-process';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'assets', 'lambda', 'cli', 'index.js');
/** The example app's interval (example/example-stack.ts; test/construct/example.test.ts checks it). */
const EXAMPLE_INTERVAL_MONTHS = 6;
const MONTHS = 24;
const ROTATIONS = MONTHS / EXAMPLE_INTERVAL_MONTHS;

describe('npm run demo', () => {
  let run: SpawnSyncReturns<string>;
  let lines: string[];
  beforeAll(() => {
    for (const asset of [BUNDLE, CLI]) {
      if (!fs.existsSync(asset)) throw new Error(`${asset} is missing: run \`npx projen bundle\` first (the test and demo tasks do)`);
    }
    // What the demo task runs (.projen/tasks.json), without its bundle step (the test task bundles first).
    const command = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8')).tasks.demo.steps
      .find((s: { exec?: string }) => s.exec?.startsWith('ts-node ')).exec.split(' ').slice(1);
    run = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), ...command], {
      cwd: ROOT, encoding: 'utf8', timeout: 170_000,
    });
    lines = run.stdout.split('\n');
  });

  const proofRows = () => lines.filter((l) => /^\d+\s+│ [0-9a-f-]{36} │/.test(l)).map((l) => l.split('│').map((c) => c.trim()));

  test('exits 0 and says every check passed', () => {
    expect(run.error).toBeUndefined();
    expect({ status: run.status, stderr: run.stderr, failed: lines.filter((l) => l.startsWith('FAILED')) })
      .toEqual({ status: 0, stderr: '', failed: [] });
    expect(lines).toContain('OK: every check passed.');
  });

  test(`deploys generation 1, then rotates ${ROTATIONS} times, each on its due date, staged across scheduled runs`, () => {
    expect(lines.some((l) => l.includes(`rotated every ${EXAMPLE_INTERVAL_MONTHS} months`))).toBe(true);
    expect(lines.filter((l) => / deployed: generation 1 /.test(l))).toHaveLength(1);
    const fenced = lines.map((l) => /^(\S+ \S+) +phase fence: generation (\d+) is retired/.exec(l)).filter((m) => m !== null);
    expect(fenced.map((m) => [m![1], Number(m![2])])).toEqual([
      ['2026-07-01 03:20', 1], ['2027-01-01 03:20', 2], ['2027-07-01 03:20', 3], ['2028-01-01 03:20', 4],
    ]);
    expect(lines.filter((l) => /rotation \d due: generation \d \(key\/[0-9a-f]{8}…\) made; phases create → import → test$/.test(l))).toHaveLength(ROTATIONS);
    expect(lines.filter((l) => /phase promote: alias\/example\/telemetry now points at generation \d/.test(l))).toHaveLength(ROTATIONS);
    const scheduler = lines.find((l) => l.startsWith('Scheduler:'));
    expect(scheduler).toMatch(new RegExp(`^Scheduler: \\d+ runs fired, \\d+ idle runs skipped; ${ROTATIONS} rotations in ${MONTHS} months`));
  });

  test('prints the shipped tool\'s report after each rotation, each passing, the last one with every generation', () => {
    expect(lines.filter((l) => l === 'Result: PASS')).toHaveLength(ROTATIONS);
    expect(lines.filter((l) => l.includes('FAIL'))).toEqual([]);
    const headings = lines.filter((l) => /^Current generation \d+, next rotation due .*; event log verified/.test(l));
    expect(headings.map((l) => Number(/^Current generation (\d+)/.exec(l)![1]))).toEqual([2, 3, 4, 5]);
    const lastReport = lines.slice(lines.lastIndexOf(headings[headings.length - 1]));
    const generationRows = lastReport.filter((l) => /^│ \d+ +│ (retired|current)/.test(l));
    expect(generationRows.map((l) => l.split('│')[2].trim())).toEqual([
      ...Array(ROTATIONS).fill('retired (decrypt-only)'), 'current',
    ]);
    // Each row shows its generation's source, material expiry and escrow object.
    expect(generationRows.map((l) => l.split('│').map((c) => c.trim())).map((c) => [c[4], c[11], c[13].startsWith('s3://telemetrykeyescrowbucket')]))
      .toEqual(generationRows.map(() => ['generated', 'never', true]));
  });

  test(`proves ${ROTATIONS + 1} generations: every reading decrypts, retired ones refuse encryption by their key policy`, () => {
    const rows = proofRows();
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      ...Array.from({ length: ROTATIONS }, (_, i) => [String(i + 1), 'retired']), [String(ROTATIONS + 1), 'current'],
    ]);
    for (const r of rows) {
      const [decrypted, made] = /^(\d+) of (\d+)$/.exec(r[3])!.slice(1).map(Number);
      expect(made).toBeGreaterThan(0);
      expect(decrypted).toBe(made);
    }
    expect(rows.slice(0, ROTATIONS).map((r) => [r[4], r[5]])).toEqual(Array(ROTATIONS).fill(['refused: key policy Deny', 'refused: key policy Deny']));
    expect([rows[ROTATIONS][4], rows[ROTATIONS][5]]).toEqual(['accepted', 'accepted']);
  });

  test('is short enough to read and reports its wall time', () => {
    // The proof checked every escrow object.
    expect(lines.filter((l) => /^Escrow: 5 generations' material in s3:\/\/\S+\/escrow\/\S+\/, each read back and verified before its promotion/.test(l))).toHaveLength(1);
    expect(lines.length).toBeLessThan(150);
    expect(lines.find((l) => l.startsWith('Wall time:'))).toMatch(/^Wall time: \d+\.\d s /);
    expect(lines.find((l) => l.startsWith('Function logs:'))).toMatch(/, 0 errors\.$/);
  });
});
