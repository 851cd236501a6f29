/**
 * `npm run demo`: 24 months of the example app's key group, on this machine,
 * with no AWS account and no network.
 *
 * The example app (example/app.ts) is synthesized; a local KMS (the simulator
 * of test/kms-simulator, which the real SDK talks to over HTTP and which
 * evaluates the synthesized IAM policies) and a local DynamoDB (dynalite) are
 * started; the shipped bundle (assets/lambda/rotation-function/index.js) runs
 * in two Node.js 24 processes, one per function, each with its role's
 * credentials. The demo then plays CloudFormation (the custom resource's
 * Create event, from the template) and EventBridge Scheduler (the schedule's
 * input, every 10 minutes around due times; idle weeks are skipped in big
 * steps) for 24 simulated months, while the application role encrypts under
 * the alias. After each completed rotation it prints the group's report; at
 * the end it proves, with the application role, that everything ever
 * encrypted still decrypts and that retired generations refuse encryption.
 * Exits 1 when a check fails.
 */
import * as path from 'node:path';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { createEvent, ExampleDeployment, synthesizeExample } from './example-deployment';
import { proveGenerations } from './proof';
import { printReport, reportCommandLine, ReportContext } from './report';
import { SCHEDULE_PERIOD_MS, ScheduleTicks } from './scheduler';
import { addCalendarMonths } from '../lambda/rotation/dates';
import { CustomResourceResult } from '../lambda/rotation/lifecycle';
import { RotationOutcome } from '../lambda/rotation/rotate';
import { EVENT_SOURCE } from '../lambda/rotation/rotation-event';
import { node24Binary } from '../test/construct/node24';
import { eventRulesOf, sealKeyPolicies } from '../test/construct/synthesized-policies';
import { S3Sim } from '../test/kms-simulator/s3';
import { BUNDLE, BundleProcess } from '../test/rotation/bundle-process';
import { declareEventBridge } from '../test/rotation/deployed-events';
import { Harness, REGION } from '../test/rotation/harness';

// The SDK warns once per process on Node.js < 22: not part of the story.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** How long the demo runs the schedule (simulated). */
const MONTHS = 24;
/** The simulated moment of the deploy: in the example's schedule hour (03:00 UTC). */
const DEPLOY_AT = new Date('2026-01-01T03:00:00Z');
/** Between due times the demo fires one scheduled run a week, and skips the rest (they answer not-due). */
const IDLE_STEP_MS = 7 * 86_400_000;
/** From this long before a due time, every scheduled run is fired. */
const WAKE_BEFORE_DUE_MS = 60 * 60_000;
/** How long a rotation under way at the end may take to complete (a scheduled one takes about 20 minutes). */
const GRACE_MS = 24 * 60 * 60_000;
/** Every ciphertext the application made, for the proof. */
export interface Reading { readonly plaintext: string; readonly ciphertext: Uint8Array; readonly keyArn: string }

const out = (line = '') => process.stdout.write(`${line}\n`);
const when = (t: Date) => t.toISOString().slice(0, 16).replace('T', ' ');
const phases = (r: RotationOutcome) => r.phasesDone.join(' → ');
const shortKey = (arn?: string) => arn ? `key/${arn.slice(arn.lastIndexOf('/') + 1, arn.lastIndexOf('/') + 9)}…` : '?';

function intro(d: ExampleDeployment): void {
  out('cdk-rotating-imported-key demo: 24 months of key rotation on this machine (no AWS account, no network)');
  out();
  out('What happens:');
  out(`  1. Synthesize example/app.ts (stack ${d.stackName}): key group ${d.aliasName},`);
  out(`     rotated every ${d.intervalMonths} months.`);
  out('  2. Start a local KMS and S3 (test/kms-simulator, which evaluate the synthesized IAM policies), the');
  out('     escrow bucket (Object Lock) and a local DynamoDB (dynalite) with the stack\'s ledger table.');
  out(`  3. Play CloudFormation: send the Create event of ${d.keyGroupLogicalId} to the shipped lifecycle function`);
  out(`     (${path.relative(process.cwd(), BUNDLE)} under Node.js 24, signed as its synthesized role).`);
  out(`  4. Play EventBridge Scheduler: fire ${d.schedule.expression} (${d.schedule.timeZone ?? 'UTC'}) at the rotation function`);
  out('     (signed as its role) every 10 minutes around due times, once a week in between.');
  out(`  5. The example's application role (${d.roleNames.app}) encrypts a reading under the alias after every run.`);
  out('  6. After each rotation, print the report of the shipped command-line tool:');
  out(`     ${reportCommandLine(d)}`);
  out('  7. Finally, prove with the application role that every reading decrypts and retired generations');
  out('     refuse encryption, and that each generation\'s escrow object is verified, tagged and holds no plaintext.');
  out();
  out('Timeline (simulated, UTC):');
}

async function main(): Promise<void> {
  const startUpMs = process.uptime() * 1000;
  const synthStarted = Date.now();
  const d = synthesizeExample();
  const synthMs = Date.now() - synthStarted;
  intro(d);
  const ticks = ScheduleTicks.of(d.schedule);
  const h = await Harness.start({
    startTime: DEPLOY_AT,
    authorization: { principals: d.principals },
    // One RSA-4096 wrapping key pair per generation is plenty (a fresh clone generates the pool once).
    wrappingKeyPoolSize: 2,
    // The stack's seal keys, with their synthesized key policies, as CloudFormation makes them.
  }, d.tableName, sealKeyPolicies(d.template));
  // The stack's rotation event bus (only the rotation role may put on it) and the re-encryption rule on it.
  declareEventBridge(h.sim, d.template);
  // The escrow bucket the example creates, as it deploys: versioned, Object Lock COMPLIANCE for the synthesized retention.
  const escrow = JSON.parse(d.resourceProperties.Escrow) as { bucket: string };
  const bucket = await S3Sim.start(d.principals, () => h.sim.clock.now());
  bucket.createBucket(escrow.bucket, { objectLock: { mode: 'COMPLIANCE', days: escrowLockDays(d) } });
  const endpoints = {
    AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
    AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: h.sim.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: h.sim.endpoint,
    AWS_ENDPOINT_URL_S3: bucket.endpoint,
    AWS_REGION: REGION,
    // The seal keys as deployed (the template's ARNs name them by logical id).
    SETTINGS_SEAL_KEY_ARN: h.sealKeys.settings,
    STATE_SEAL_KEY_ARN: h.sealKeys.state,
  };
  const fn = (env: Record<string, string>, credentials: { accessKeyId: string; secretAccessKey: string }) => new BundleProcess({
    ...env, ...endpoints, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  }, h.log, node24Binary());
  const lifecycle = fn(d.environments.lifecycle, d.lifecycle.credentials);
  const rotation = fn(d.environments.rotation, d.rotation.credentials);
  const appClient = h.sim.clientFor(d.app.accessKeyId, { maxAttempts: 1 });
  const report: ReportContext = { h, d };
  const failures: string[] = [];
  const readings: Reading[] = [];
  try {
    const deployed = await lifecycle.invoke('lifecycle', createEvent(d), h.sim.clock.now()) as CustomResourceResult;
    out(`${when(h.sim.clock.now())}  deployed: generation ${deployed.Data?.Generation} (${shortKey(deployed.Data?.KeyArn)}) behind ${deployed.Data?.AliasName}`);

    const end = addCalendarMonths(DEPLOY_AT, MONTHS);
    let fired = 0;
    let skipped = 0;
    let rotations = 0;
    let underWay = false;
    let t = ticks.after(DEPLOY_AT);
    while (t.getTime() <= end.getTime() || underWay) {
      if (t.getTime() > end.getTime() + GRACE_MS) throw new Error(`the rotation under way at ${when(end)} had not completed ${GRACE_MS / 3_600_000} hours later`);
      h.sim.clock.set(t);
      const r = await rotation.invoke('rotation', d.schedule.input, t) as RotationOutcome;
      fired++;
      underWay = ['started', 'in-progress', 'promoted', 'queued'].includes(r.outcome) || r.throttled === true;
      if (r.outcome === 'started') out(`${when(t)}  rotation ${rotations + 1} due: generation ${r.generation} (${shortKey(await generationKey(h, d, r.generation))}) made; phases ${phases(r)}`);
      if (r.outcome === 'in-progress') out(`${when(t)}    waiting: ${r.phase} from ${r.nextPhaseAt ? when(new Date(r.nextPhaseAt)) : '?'}`);
      if (r.outcome === 'promoted') out(`${when(t)}    phase ${phases(r)}: ${d.aliasName} now points at generation ${r.generation} (${shortKey(r.keyArn)})`);
      if (r.outcome === 'completed') {
        rotations++;
        out(`${when(t)}    phase ${phases(r)}: generation ${r.generation - 1} is retired (decrypt only); next due ${r.nextDueAt ? when(new Date(r.nextDueAt)) : '?'}`);
        out();
        const failed = await printReport(report, out);
        if (failed) failures.push(failed);
        out();
      }
      readings.push(await encryptReading(appClient, d.aliasName, t, failures));

      let next = new Date(t.getTime() + SCHEDULE_PERIOD_MS);
      if (r.outcome === 'not-due' && r.nextDueAt) {
        const wake = Math.min(new Date(r.nextDueAt).getTime() - WAKE_BEFORE_DUE_MS, t.getTime() + IDLE_STEP_MS, end.getTime());
        next = ticks.atOrAfter(new Date(Math.max(wake, next.getTime())));
      }
      skipped += Math.round((next.getTime() - t.getTime()) / SCHEDULE_PERIOD_MS) - 1;
      t = next;
    }

    out();
    out(`Scheduler: ${fired} runs fired, ${skipped} idle runs skipped; ${rotations} rotations in ${MONTHS} months (${when(DEPLOY_AT)} to ${when(h.sim.clock.now())}).`);
    const expected = Math.floor(MONTHS / d.intervalMonths);
    if (rotations !== expected) failures.push(`expected ${expected} rotations in ${MONTHS} months at ${d.intervalMonths} months, saw ${rotations}`);
    out();
    failures.push(...await proveGenerations({ h, d, readings, appClient, out }));
    failures.push(...await proveEscrow(h, d, bucket, escrow.bucket));
    // The example's re-encryption rule (onRotated) got each rotation's event from the bundle, on the stack's own bus.
    const reEncryption = eventRulesOf(d.template).filter((r) => JSON.stringify(r.eventPattern).includes(EVENT_SOURCE));
    const delivered = reEncryption.flatMap((r) => h.sim.eventBridge.matched(r.logicalId)).map((e) => e.detail.generation);
    const generations = Array.from({ length: rotations }, (_, i) => i + 2);
    if (JSON.stringify(delivered) !== JSON.stringify(generations)) failures.push(`the re-encryption rule got the events of generations ${JSON.stringify(delivered)}, expected ${JSON.stringify(generations)}`);
    const errors = h.log.errors();
    out(`Function logs: ${h.log.lines.length} lines, ${errors.length} errors.`);
    for (const e of errors.slice(0, 5)) failures.push(`function logged an error: ${e.message} ${JSON.stringify(e.attributes)}`);
  } catch (e) {
    failures.push(`the demo stopped: ${(e as Error).stack ?? e}`);
  } finally {
    lifecycle.stop();
    rotation.stop();
    appClient.destroy();
    await bucket.stop();
    await h.stop();
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  out(`Wall time: ${s(process.uptime() * 1000)} (start-up ${s(startUpMs)}, synth ${s(synthMs)}, ${MONTHS} simulated months and the proof ${s(Date.now() - synthStarted - synthMs)}).`);
  if (failures.length) {
    for (const f of failures) out(`FAILED: ${f}`);
    process.exitCode = 1;
  } else {
    out('OK: every check passed.');
  }
}

/** The Object Lock days of the example's escrow bucket, from the template. */
function escrowLockDays(d: ExampleDeployment): number {
  const buckets = Object.values<any>(d.template.Resources).filter((r) => r.Type === 'AWS::S3::Bucket' && r.Properties?.ObjectLockEnabled);
  if (buckets.length !== 1) throw new Error(`the example app should have one escrow bucket, found ${buckets.length}`);
  return buckets[0].Properties.ObjectLockConfiguration.Rule.DefaultRetention.Days;
}

/** Every generation has its verified escrow object, locked, tagged with its material id, and none holds the plaintext. */
async function proveEscrow(h: Harness, d: ExampleDeployment, bucket: S3Sim, name: string): Promise<string[]> {
  const failures: string[] = [];
  const rec = await h.group(d.groupId);
  const versions = bucket.versions(name);
  const plaintexts = h.sim.state.importedMaterials().flatMap((m) => [m.toString('hex'), m.toString('base64')]);
  for (const g of rec.generations) {
    const object = versions.find((v) => v.versionId === g.escrow?.versionId);
    if (!g.escrow?.verifiedAt || !object) {
      failures.push(`generation ${g.n} has no verified escrow object`);
      continue;
    }
    if (object.tags['key-material-id'] !== g.keyMaterialId) failures.push(`generation ${g.n}'s escrow object is not tagged with its material id`);
    const text = `${object.body.toString()} ${JSON.stringify(object.metadata)} ${JSON.stringify(object.tags)}`;
    if (plaintexts.some((p) => text.includes(p))) failures.push(`generation ${g.n}'s escrow object holds plaintext material`);
  }
  out(`Escrow: ${rec.generations.length} generations' material in s3://${name}/${rec.generations[0]?.escrow?.key.replace(/generation-.*$/, '')}, `
    + `each read back and verified before its promotion, wrapped to the offline key (no plaintext), locked (COMPLIANCE) for ${escrowLockDays(d)} days.`);
  return failures;
}

/** The key of a generation, from the ledger. */
async function generationKey(h: Harness, d: ExampleDeployment, n: number): Promise<string | undefined> {
  return (await h.group(d.groupId)).generations.find((g) => g.n === n)?.keyArn;
}

async function encryptReading(client: KMSClient, aliasName: string, t: Date, failures: string[]): Promise<Reading> {
  const plaintext = `telemetry reading of ${t.toISOString()}`;
  try {
    const r = await client.send(new EncryptCommand({ KeyId: aliasName, Plaintext: Buffer.from(plaintext) }));
    return { plaintext, ciphertext: r.CiphertextBlob!, keyArn: r.KeyId! };
  } catch (e) {
    failures.push(`the application role could not encrypt under ${aliasName} at ${t.toISOString()}: ${(e as Error).name}: ${(e as Error).message}`);
    return { plaintext, ciphertext: new Uint8Array(), keyArn: '' };
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
