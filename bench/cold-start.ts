/**
 * The shipped function: bundle size, and the cold start of a fresh Node
 * process that loads it and makes its first KMS call, against the same
 * process with the KMS client loaded unbundled from node_modules.
 *
 * Fairness: the bundle probe does strictly more than the baseline. Its first
 * invocation parses the event, builds two clients (KMS and Resource Groups
 * Tagging) and a Powertools logger, and logs the refusal; the baseline builds
 * one KMS client. Both send exactly one DescribeKey to a local endpoint that
 * answers at once, so network time is not part of either figure, and both
 * get the same environment (region, static credentials, endpoint), so neither
 * resolves credentials through files, SSO or IMDS. Times are whole-process
 * wall times, spawn to exit, on the local Node (the Lambda runtime is Node 22
 * and has its own bootstrap; the ratio, not the absolute time, is the figure).
 *
 * Structure: the bundle is one minified file that V8 compiles whole on load,
 * including code the function never runs in Lambda (the SDK's default
 * credential chain: STS/SSO clients, INI, process and IMDS providers, about
 * 135 KB of the 388 KB; Lambda always supplies credentials in the
 * environment). The unbundled baseline reads about 20 files from
 * node_modules but loads those providers only on demand. Neither structure
 * is favoured by the probe; the bundle pays for its dead weight here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { interleave } from './interleave';
import { timeNodeProcess } from './process-timer';
import { Summary, summarize } from './stats';
import { startKmsSimulator } from '../test/kms-simulator';

export const BUNDLE = path.join(__dirname, '..', 'assets', 'lambda', 'rotation-function', 'index.js');
const PROBES = path.join(__dirname, 'probes');

export interface BundleSize {
  readonly bytes: number;
  /** gzip -9, close to what the deployment zip stores. */
  readonly gzipBytes: number;
}

export function bundleSize(): BundleSize {
  if (!fs.existsSync(BUNDLE)) {
    throw new Error(`measurement error: the bundle is missing at ${BUNDLE}; run npx projen bundle`);
  }
  const content = fs.readFileSync(BUNDLE);
  return { bytes: content.length, gzipBytes: zlib.gzipSync(content, { level: 9 }).length };
}

export interface ColdStartResult {
  /** Bundle: require + first invocation (builds the clients, one DescribeKey). */
  readonly bundleFirstCall: Summary;
  /** Baseline: require @aws-sdk/client-kms + new KMSClient({}) + one DescribeKey. */
  readonly sdkFirstCall: Summary;
  /** Bundle: require only (its clients are built lazily, so none is built). */
  readonly bundleLoad: Summary;
  /** Baseline: require @aws-sdk/client-kms + new KMSClient({}). */
  readonly sdkLoad: Summary;
  /** A Node process that loads nothing: the floor under every figure. */
  readonly nodeEmpty: Summary;
  /** KMS calls the simulator saw from each first-call probe (must be 1 each). */
  readonly callsPerProbe: { readonly bundle: number; readonly sdk: number };
}

async function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return (await timeNodeProcess(args, env)).ms;
}

export async function measureColdStart(runs: number): Promise<ColdStartResult> {
  bundleSize();
  const sim = await startKmsSimulator();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cold-start-'));
  // The same environment for every probe: nothing to discover, nothing on disk.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_REGION: sim.region,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART',
    AWS_SECRET_ACCESS_KEY: 'bench-cold-start-secret',
    AWS_ENDPOINT_URL_KMS: sim.endpoint,
    AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: sim.endpoint,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'rotating-imported-key',
    // The SDK warns on Node < 22; Lambda runs 22, so neither probe should pay for the warning.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const bundleProbe = path.join(PROBES, 'bundle.js');
  const sdkProbe = path.join(PROBES, 'sdk.js');
  try {
    // One checked run of each first-call probe: exactly one KMS call each, or the figures compare different work.
    sim.calls.reset();
    await timeProcess([bundleProbe, 'first-call', BUNDLE], env);
    const bundleCalls = sim.calls.count();
    sim.calls.reset();
    await timeProcess([sdkProbe, 'first-call'], env);
    const sdkCalls = sim.calls.count();
    if (bundleCalls !== 1 || sdkCalls !== 1) {
      throw new Error(`measurement error: the cold-start probes made ${bundleCalls} (bundle) and ${sdkCalls} (sdk) KMS calls; expected 1 each`);
    }

    const samples = await interleave({
      bundleFirstCall: () => timeProcess([bundleProbe, 'first-call', BUNDLE], env),
      sdkFirstCall: () => timeProcess([sdkProbe, 'first-call'], env),
      bundleLoad: () => timeProcess([bundleProbe, 'load', BUNDLE], env),
      sdkLoad: () => timeProcess([sdkProbe, 'load'], env),
      nodeEmpty: () => timeProcess([path.join(PROBES, 'empty.js')], env),
    }, { runs, warmup: 2 });
    return {
      bundleFirstCall: summarize(samples.bundleFirstCall),
      sdkFirstCall: summarize(samples.sdkFirstCall),
      bundleLoad: summarize(samples.bundleLoad),
      sdkLoad: summarize(samples.sdkLoad),
      nodeEmpty: summarize(samples.nodeEmpty),
      callsPerProbe: { bundle: bundleCalls, sdk: sdkCalls },
    };
  } finally {
    await sim.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}
