/**
 * `npm run bench -- [--quick] [--runs N] [--markdown]`
 *
 * Measures each figure against its baseline in the same run (interleaved,
 * median of several runs), prints one results table, the key cost table, the
 * targets with PASS/MISS, and as its last line one JSON object with every
 * figure (also written to bench/results/latest.json). Each stage's figures are
 * printed (`[stage] <name> <json>`) and written to bench/results/partial.json
 * as the stage finishes, so a later failure keeps them; a sample that meets a
 * transient socket error is measured again (transient.ts). Exits non-zero only
 * on a measurement error, never on a missed target.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleSize, measureColdStart } from './cold-start';
import { costRows, YEARS } from './cost-model';
import { FleetResult, measureFleet } from './fleet';
import { BenchOptions, parseOptions, UsageError } from './options';
import { measureRotationCost, RotationCostResult } from './rotation-cost';
import { StageResults } from './stage-results';
import { formatBytes, formatMs, formatRatio, formatUsd, ratio, round } from './stats';
import { findMaxKeys, measureFootprint, measureFreshProcessSynth, measureSynthTimes, CFN_RESOURCE_LIMIT, Footprint, IAM_MANAGED_POLICIES_PER_ROLE, MaxKeys, SynthTiming } from './synth';
import { renderMarkdown, renderText, Row } from './table';
import { formatVerdict, judge, Target } from './targets';

// The SDK warns once per process on Node < 22 (Lambda runs 22): not part of any figure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SYNTH_SIZES = [1, 10, 50];
const SYNTH_WARMUP_ROUNDS = 2;
const FRESH_SYNTH_SIZES = [1, 50];
/** 400 KB, read as the stricter 400,000 bytes (not 409,600). */
const BUNDLE_TARGET_BYTES = 400_000;
const RESULTS = path.join(__dirname, 'results', 'latest.json');
/** Each stage's figures as it finishes (stage-results.ts): what a run that fails later still leaves. */
const PARTIAL = path.join(__dirname, 'results', 'partial.json');

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function costTable(): { header: Row; rows: Row[] } {
  const header: Row = ['Rotation interval', 'Policy', ...YEARS.map((y) => `after ${y} year${y > 1 ? 's' : ''}`)];
  const rows: Row[] = [];
  for (const r of costRows()) {
    const label = r.policy === 'in-place' ? 'baseline: 1 key rotated in place' : `${r.policy} (${r.description})`;
    rows.push([
      `every ${r.intervalMonths} month${r.intervalMonths > 1 ? 's' : ''}`,
      label,
      ...r.monthlyUsd.map((usd, i) => `${formatUsd(usd)}/month${r.possible[i] ? '' : ' †'}`),
    ]);
  }
  return { header, rows };
}

const COST_NOTES = [
  'Key cost of one key group, $1 per key per month (prorated hourly); request charges not included.',
  'keepAll and keepLatest pay for 1 + ⌊months / interval⌋ keys (KMS bills disabled keys like enabled ones): keepLatest narrows what can decrypt, not the bill.',
  'deleteAfter(d): a retired generation nobody decrypts with is billed d + the quiet period after its retirement (disabled, then pending deletion: free); the current and previous generations always.',
  'Baseline: one key rotated in place costs $1/month more for each of its first two rotations (capped at $3/month).',
  '† more in-place rotations than KMS allows per key on demand (25): imported material cannot be rotated in place that often.',
];

function costMarkdown(): string {
  const { header, rows } = costTable();
  return [renderMarkdown(header, rows), '', ...COST_NOTES.map((n) => `${n}  `)].join('\n');
}

function typesText(types: Record<string, number>): string {
  return Object.entries(types).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t.replace(/^AWS::/, '')} ×${n}`).join(', ');
}

interface Measurements {
  readonly footprint: Footprint;
  readonly plainFootprint: Footprint;
  readonly maxKeys: MaxKeys;
  readonly plainMaxKeys: MaxKeys;
  readonly synth: SynthTiming[];
  readonly synthNoValidation: SynthTiming[];
  readonly synthFresh: SynthTiming[];
  readonly bundle: ReturnType<typeof bundleSize>;
  readonly cold: Awaited<ReturnType<typeof measureColdStart>>;
  readonly rotation: RotationCostResult;
}

function retried(variant: string, attempt: number, e: unknown): void {
  progress(`${variant}: transient ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}; measuring the sample again (attempt ${attempt + 1})`);
}

async function measure(opts: BenchOptions, stages: StageResults): Promise<Measurements> {
  const started = performance.now();
  const step = (name: string) => progress(`${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  step('bundle size and cold start');
  const bundle = await stages.stage('bundle', () => bundleSize());
  const cold = await stages.stage('coldStart', () => measureColdStart(opts.coldStartRuns));

  step('CloudFormation footprint and the most key groups per stack');
  const { footprint, plainFootprint, maxKeys, plainMaxKeys } = await stages.stage('footprint', () => {
    const rotating = measureFootprint('rotating');
    const plain = measureFootprint('plain');
    return { footprint: rotating, plainFootprint: plain, maxKeys: findMaxKeys(rotating), plainMaxKeys: findMaxKeys(plain) };
  });

  step(`synth times, ${opts.synthRuns} runs after ${SYNTH_WARMUP_ROUNDS} warm-up rounds`);
  const synth = await stages.stage('synth', () => measureSynthTimes(SYNTH_SIZES, opts.synthRuns, SYNTH_WARMUP_ROUNDS));
  step('synth times without CDK\'s built-in CloudFormation validation');
  const synthNoValidation = await stages.stage('synthNoValidation', () => measureSynthTimes(SYNTH_SIZES, opts.synthRuns, SYNTH_WARMUP_ROUNDS, { validation: false }));
  step(`synth in a fresh process, ${opts.freshSynthRuns} runs per size and variant`);
  // No warm-up rounds: the in-process synths above already brought every module file into the page cache.
  const synthFresh = await stages.stage('synthFreshProcess', () => measureFreshProcessSynth(FRESH_SYNTH_SIZES, opts.freshSynthRuns, 0));

  step(`rotation cost, ${opts.rotationRuns} rotations per account, ${opts.otherKeys.toLocaleString('en-US')} unrelated keys in the crowded one`);
  const rotation = await stages.stage('rotationCost', () => measureRotationCost(opts.rotationRuns, opts.otherKeys, retried));
  step('done');
  return { footprint, plainFootprint, maxKeys, plainMaxKeys, synth, synthNoValidation, synthFresh, bundle, cold, rotation };
}

function allEqual(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function resultsTable(m: Measurements): { header: Row; rows: Row[]; notes: string[] } {
  const header: Row = ['Figure', 'RotatingImportedKey', 'Baseline', 'Ratio / note'];
  const rows: Row[] = [];
  for (const s of m.synth) {
    rows.push([`Synth, ${plural(s.keys, 'key')}`, formatMs(s.rotating), formatMs(s.plain), formatRatio(ratio(s.rotating, s.plain))]);
  }
  for (const s of m.synthNoValidation) {
    rows.push([`Synth, ${plural(s.keys, 'key')}, no CFN validation`, formatMs(s.rotating), formatMs(s.plain), formatRatio(ratio(s.rotating, s.plain))]);
  }
  for (const s of m.synthFresh) {
    rows.push([`Synth, ${plural(s.keys, 'key')}, fresh process`, formatMs(s.rotating), formatMs(s.plain), formatRatio(ratio(s.rotating, s.plain))]);
  }
  rows.push(['']);
  const f = m.footprint;
  const p = m.plainFootprint;
  rows.push(['CFN resources, 1 key / 2 keys', `${f.oneGroup} / ${f.twoGroups}`, `${p.oneGroup} / ${p.twoGroups}`, 'incl. AWS::CDK::Metadata']);
  rows.push(['Resources per additional key', `${f.perExtraGroup}`, `${p.perExtraGroup}`, 'rotating: custom resource + schedule']);
  rows.push(['Resources not repeated per key', `${f.base}`, `${p.base}`, 'identical with 1 and 2 keys']);
  const mk = m.maxKeys;
  const pk = m.plainMaxKeys;
  rows.push([
    `Most keys per stack (≤ ${CFN_RESOURCE_LIMIT} resources)`,
    `${mk.verified} (${mk.resourcesAtMax}; ${mk.verified + 1} keys: ${mk.resourcesAtMaxPlusOne})`,
    `${pk.verified} (${pk.resourcesAtMax}; ${pk.verified + 1} keys: ${pk.resourcesAtMaxPlusOne})`,
    `estimate ⌊(${CFN_RESOURCE_LIMIT}−${f.base})/${f.perExtraGroup}⌋ = ${mk.estimate}${mk.estimateHolds ? ' holds' : ', off by ' + (mk.estimate - mk.verified)}`,
  ]);
  rows.push(['']);
  rows.push(['Bundle size, minified', formatBytes(m.bundle.bytes), '—', `target ≤ ${BUNDLE_TARGET_BYTES.toLocaleString('en-US')} B`]);
  rows.push(['Bundle size, gzip -9', formatBytes(m.bundle.gzipBytes), '—', '']);
  const c = m.cold;
  rows.push(['Cold start, load + 1st KMS call', formatMs(c.bundleFirstCall), formatMs(c.sdkFirstCall), formatRatio(ratio(c.bundleFirstCall, c.sdkFirstCall))]);
  rows.push(['Cold start, load only', formatMs(c.bundleLoad), formatMs(c.sdkLoad), `${formatRatio(ratio(c.bundleLoad, c.sdkLoad))} (bundle builds no client yet)`]);
  rows.push(['Cold start, empty Node process', formatMs(c.nodeEmpty), formatMs(c.nodeEmpty), 'the floor under both']);
  rows.push(['']);
  const r = m.rotation;
  const calls = (s: RotationCostResult['empty']) => (allEqual(s.kmsCalls) ? `${s.kmsCalls[0]}` : `varies: ${s.kmsCalls.join(',')}`);
  const other = `${r.crowded.otherKeys.toLocaleString('en-US')} other keys`;
  rows.push(['KMS calls per rotation', calls(r.empty), `${calls(r.crowded)} (${other})`, r.empty.kmsCalls[0] === r.crowded.kmsCalls[0] ? 'same count' : 'DIFFERENT']);
  rows.push(['Tagging API calls per rotation', `${r.empty.taggingCalls[0]}`, `${r.crowded.taggingCalls[0]} (${other})`, '']);
  rows.push(['Ledger (DynamoDB) calls per rotation', `${r.empty.ledgerCalls[0]}`, `${r.crowded.ledgerCalls[0]} (${other})`, r.empty.ledgerCalls[0] === r.crowded.ledgerCalls[0] ? 'same count' : 'DIFFERENT']);
  rows.push(['Rotation wall time, local simulator', formatMs(r.empty.wallMs), `${formatMs(r.crowded.wallMs)} (${other})`, formatRatio(ratio(r.crowded.wallMs, r.empty.wallMs))]);
  rows.push(['One DescribeKey, same simulator', formatMs(r.empty.roundTripMs), `${formatMs(r.crowded.roundTripMs)} (${other})`, formatRatio(ratio(r.crowded.roundTripMs, r.empty.roundTripMs))]);

  const notes = [
    'Synth: construct tree + app.synth() of a fresh App, in-process, caches of earlier synths dropped; baseline: as many kms.Key (enableKeyRotation) + kms.Alias.',
    '"no CFN validation": builtinCloudFormationValidation off (cdk synth --no-validation; aws-cdk-lib 2.276 validates by default, ~85 ms per synth).',
    '"fresh process": one synth per new Node process (ts-node loads the library in both variants), spawn to exit: what a cdk synth waits for, module loading and JIT included.',
    `Per additional key: ${typesText(f.perGroupTypes)}. Not repeated: ${typesText(f.sharedTypes)}.`,
    `At ${mk.verified} keys: ${plural(mk.managedPoliciesAtMax, 'IAM::ManagedPolicy')} split off the rotation role's policy (IAM allows ${IAM_MANAGED_POLICIES_PER_ROLE} per role by default), `
      + `template ${formatBytes(mk.templateBytesAtMax)} (CloudFormation takes ≤ 1 MB from S3); synthesized: ${Object.entries(mk.probes).map(([n, res]) => `${n} keys→${res}`).join(', ')}.`,
    'Cold start: whole process, spawn to exit; bundle = require(index.js) + rotationHandler({action:"rotate-if-due"}) (builds KMS, tagging and DynamoDB clients, 1 ledger GetItem, refused by the local endpoint); '
      + 'baseline = require("@aws-sdk/client-kms") + new KMSClient({}) + 1 DescribeKey → NotFound; same env, local endpoint.',
    `One rotation = its three scheduled runs (start; promote a propagation window later; fence a window after that). KMS calls by operation: ${Object.entries(r.empty.byOperation).map(([op, n]) => `${op} ${n}`).join(', ')}.`,
    `Ledger calls by operation: ${Object.entries(r.empty.ledgerByOperation).map(([op, n]) => `${op} ${n}`).join(', ')}.`,
    `Rotation: TypeScript handler + simulator, RSA cache warm; the simulator scans every key on each clock read, hence the slower calls with ${other} (set up in ${r.crowded.setupSeconds.toFixed(1)} s, not timed).`,
  ];
  return { header, rows, notes };
}

function targets(m: Measurements): Target[] {
  const s50 = m.synth.find((s) => s.keys === 50)!;
  const r = m.rotation;
  const consistent = allEqual([...r.empty.kmsCalls, ...r.crowded.kmsCalls]);
  return [
    { name: 'synth time ratio, 50 keys', value: ratio(s50.rotating, s50.plain), max: 2.0, unit: '×' },
    { name: 'resources per additional key group', value: m.footprint.perExtraGroup, max: 3, unit: '' },
    { name: 'bundle size', value: m.bundle.bytes, max: BUNDLE_TARGET_BYTES, unit: ' B' },
    { name: 'cold start ratio (load + first KMS call)', value: ratio(m.cold.bundleFirstCall, m.cold.sdkFirstCall), max: 1.0, unit: '×' },
    {
      name: 'KMS calls per rotation, with or without 10,000 other keys',
      value: Math.max(...r.empty.kmsCalls, ...r.crowded.kmsCalls),
      max: 12,
      unit: '',
      note: consistent ? undefined : `counts differ: ${r.empty.kmsCalls.join(',')} vs ${r.crowded.kmsCalls.join(',')}`,
    },
  ];
}

function figures(m: Measurements): Record<string, unknown> {
  const at = (list: SynthTiming[], n: number) => list.find((s) => s.keys === n)!;
  const r = m.rotation;
  const out: Record<string, unknown> = {};
  for (const n of SYNTH_SIZES) {
    out[`synthRatio${n}`] = ratio(at(m.synth, n).rotating, at(m.synth, n).plain);
  }
  Object.assign(out, {
    resourcesPerExtraKey: m.footprint.perExtraGroup,
    maxKeysPerStack: m.maxKeys.verified,
    bundleBytes: m.bundle.bytes,
    coldImportMs: round(m.cold.bundleFirstCall.median, 1),
    coldImportBaselineMs: round(m.cold.sdkFirstCall.median, 1),
    kmsCallsPerRotation: r.empty.kmsCalls[0],
    kmsCallsPerRotationWith10kKeys: r.crowded.kmsCalls[0],
    rotationMs: round(r.empty.wallMs.median, 1),
  });
  for (const n of SYNTH_SIZES) {
    out[`synthMs${n}`] = round(at(m.synth, n).rotating.median, 1);
    out[`synthBaselineMs${n}`] = round(at(m.synth, n).plain.median, 1);
  }
  for (const n of SYNTH_SIZES) {
    out[`synthRatioNoValidation${n}`] = ratio(at(m.synthNoValidation, n).rotating, at(m.synthNoValidation, n).plain);
  }
  for (const n of FRESH_SYNTH_SIZES) {
    out[`synthFreshProcessRatio${n}`] = ratio(at(m.synthFresh, n).rotating, at(m.synthFresh, n).plain);
    out[`synthFreshProcessMs${n}`] = round(at(m.synthFresh, n).rotating.median, 0);
    out[`synthFreshProcessBaselineMs${n}`] = round(at(m.synthFresh, n).plain.median, 0);
  }
  Object.assign(out, {
    resourcesBase: m.footprint.base,
    maxKeysEstimate: m.maxKeys.estimate,
    managedPoliciesAtMaxKeys: m.maxKeys.managedPoliciesAtMax,
    templateBytesAtMaxKeys: m.maxKeys.templateBytesAtMax,
    iamManagedPoliciesPerRoleQuota: IAM_MANAGED_POLICIES_PER_ROLE,
    baselineMaxKeysPerStack: m.plainMaxKeys.verified,
    bundleGzipBytes: m.bundle.gzipBytes,
    coldStartRatio: ratio(m.cold.bundleFirstCall, m.cold.sdkFirstCall),
    coldLoadMs: round(m.cold.bundleLoad.median, 1),
    coldLoadBaselineMs: round(m.cold.sdkLoad.median, 1),
    coldLoadRatio: ratio(m.cold.bundleLoad, m.cold.sdkLoad),
    nodeEmptyMs: round(m.cold.nodeEmpty.median, 1),
    kmsCallsByOperation: r.empty.byOperation,
    ledgerCallsPerRotation: r.empty.ledgerCalls[0],
    ledgerCallsPerRotationWith10kKeys: r.crowded.ledgerCalls[0],
    ledgerCallsByOperation: r.empty.ledgerByOperation,
    taggingCallsPerRotation: r.empty.taggingCalls[0],
    taggingCallsPerRotationWith10kKeys: r.crowded.taggingCalls[0],
    rotationMsWith10kKeys: round(r.crowded.wallMs.median, 1),
    roundTripMs: round(r.empty.roundTripMs.median, 2),
    roundTripMsWith10kKeys: round(r.crowded.roundTripMs.median, 2),
    otherKeysSetupSeconds: round(r.crowded.setupSeconds, 1),
    runs: {
      synth: m.synth[0].rotating.runs,
      synthFreshProcess: m.synthFresh[0].rotating.runs,
      coldStart: m.cold.bundleFirstCall.runs,
      rotation: r.empty.wallMs.runs,
    },
    node: process.version,
  });
  return out;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.markdown) {
    console.log(costMarkdown());
    return;
  }
  if (opts.fleets.length > 0) {
    await runFleets(opts.fleets);
    return;
  }
  const stages = new StageResults(PARTIAL, (line) => console.log(line));
  const m = await measure(opts, stages);

  const results = resultsTable(m);
  console.log(`\nBenchmarks${opts.quick ? ' (--quick)' : ''}: median (min–max, n runs); each figure interleaved with its baseline in this run\n`);
  console.log(renderText(results.header, results.rows));
  for (const note of results.notes) {
    console.log(`  ${note}`);
  }

  const cost = costTable();
  console.log('\nKey cost model (per key group, from bench/cost-model.ts)\n');
  console.log(renderText(cost.header, cost.rows));
  for (const note of COST_NOTES) {
    console.log(`  ${note}`);
  }

  console.log('\nTargets\n');
  for (const verdict of judge(targets(m))) {
    console.log(`  ${formatVerdict(verdict)}`);
  }
  console.log('');

  const json = figures(m);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(json, null, 2)}\n`);
  stages.complete();
  console.log(JSON.stringify(json));
}

/** `--fleet N`: N key groups due together under KMS's default quotas; prints the fleet table and one JSON line. */
async function runFleets(sizes: number[]): Promise<void> {
  const stages = new StageResults(PARTIAL, (line) => console.log(line));
  const results: FleetResult[] = [];
  for (const n of sizes) {
    console.log(`\nFleet of ${n} key groups (real-time quotas; progress on stderr)`);
    results.push(await stages.stage(`fleet${n}`, () => measureFleet(n, (line) => process.stderr.write(`  ${line}\n`))));
  }
  const header = ['key groups', 'quota floor', 'until all tested', 'ratio', 'end to end (simulated)', 'invocations', 'throttled calls', 'runs ended throttled', 'dead letters', 'orphans', 'overdue'];
  const rows = results.map((r) => [
    String(r.groups), `${r.quotaFloorSeconds} s`, `${r.importSeconds.toFixed(1)} s`, `${r.ratioToFloor.toFixed(2)}×`, `${r.endToEndSimulatedMinutes} min`,
    String(r.invocations), String(r.throttledCalls), String(r.runsEndedThrottled), String(r.deadLetters), String(r.orphans), String(r.overdue),
  ]);
  console.log(`\n${renderText(header, rows)}`);
  console.log('  quota floor: N / 1 s (GetParametersForImport, once per rotation); "until all tested": real time from the first scheduled run'
    + ' until every new generation was made, imported and tested.');
  console.log('  Promotion and fence follow at the next runs (a propagation window apart); real seconds per run: '
    + results.map((r) => `N=${r.groups}: ${r.runSeconds.map((x) => x.toFixed(1)).join(', ')}`).join('; '));
  const fleetTargets: Target[] = results.filter((r) => r.groups >= 100).flatMap((r) => [
    { name: `completion ratio to the quota floor, N = ${r.groups}`, value: round(r.ratioToFloor, 2), max: 1.25, unit: '×' },
    { name: `dead letters + orphans + overdue, N = ${r.groups}`, value: r.deadLetters + r.orphans + r.overdue, max: 0, unit: '' },
  ]);
  if (fleetTargets.length > 0) {
    console.log('\nTargets\n');
    for (const verdict of judge(fleetTargets)) console.log(`  ${formatVerdict(verdict)}`);
  }
  const fleet = results.map((r) => ({ ...r, ratioToFloor: round(r.ratioToFloor, 2), importSeconds: round(r.importSeconds, 1) }));
  stages.complete();
  console.log(JSON.stringify({ fleet }));
}

main().catch((e: unknown) => {
  console.error(e instanceof UsageError ? e.message : e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
