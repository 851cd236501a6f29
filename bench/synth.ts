/**
 * Synthesis cost and CloudFormation footprint of `RotatingImportedKey` against
 * the same number of plain `kms.Key`s (`enableKeyRotation: true`) with a
 * `kms.Alias` each.
 *
 * Timed in-process: each sample builds a fresh App (construct tree) and calls
 * `app.synth()` into a fresh output directory. In-process samples after
 * warm-up rounds isolate the cost of the constructs themselves, with a spread
 * of a few percent, and are cheap enough for ≥ 5 runs of every size. They
 * leave out what only the first synth of a process pays (loading and
 * compiling the CDK modules each variant uses, the validation engine's
 * WebAssembly), which is what a `cdk synth` mostly waits for; so a few
 * fresh-process samples are timed too (`measureFreshProcessSynth`), whole
 * process, spawn to exit. Before every in-process sample the process-wide caches a fresh
 * `cdk synth` would not have are dropped (asset hashes, CDK's CloudFormation
 * validation engine), so each sample fingerprints and stages the function's
 * asset and builds the validation engine for its resource types, as a
 * `cdk synth` does. Measured spread with this: about ±5% around the median.
 *
 * CDK's built-in CloudFormation validation (on by default in aws-cdk-lib
 * 2.276) costs about 85 ms per synth whatever the stack, so it narrows the ratio;
 * the ratio without it (`cdk synth --no-validation`, older aws-cdk-lib) is
 * measured too.
 *
 * Apps get the context of cdk.json (the feature flags the project's apps are
 * synthesized with) and stacks report analytics as the CDK CLI makes them
 * (one AWS::CDK::Metadata resource), so resource counts match a deployment.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, AssetStaging, CloudFormationValidatePlugin, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RotatingImportedKey, RotationInterval } from '../lib';
import { interleave } from './interleave';
import { timeNodeProcess } from './process-timer';
import { Summary, summarize } from './stats';

/** CloudFormation's quota of resources per stack. */
export const CFN_RESOURCE_LIMIT = 500;
/** IAM's default quota of managed policies attached to one role (adjustable to 20). */
export const IAM_MANAGED_POLICIES_PER_ROLE = 10;

export type StackKind = 'rotating' | 'plain';

const CDK_CONTEXT: Record<string, unknown> = (() => {
  const file = path.join(__dirname, '..', 'cdk.json');
  const context = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')).context ?? {}) : {};
  return context as Record<string, unknown>;
})();

export interface SynthSample {
  /** Construct tree plus synth, ms. */
  readonly totalMs: number;
  readonly resources: number;
  /** Resource count per CloudFormation type. */
  readonly types: Record<string, number>;
  /** Size of the template file CDK wrote (CloudFormation accepts up to 1 MB from S3). */
  readonly templateBytes: number;
}

function addKeys(stack: Stack, kind: StackKind, count: number): void {
  for (let i = 0; i < count; i++) {
    if (kind === 'rotating') {
      new RotatingImportedKey(stack, `Key${i}`, { aliasName: `alias/bench/key-${i}`, rotationInterval: RotationInterval.months(6) });
    } else {
      const key = new kms.Key(stack, `Key${i}`, { enableKeyRotation: true });
      new kms.Alias(stack, `Alias${i}`, { aliasName: `alias/bench/key-${i}`, targetKey: key });
    }
  }
}

export interface SynthOptions {
  /** CDK's built-in CloudFormation validation (on by default in `cdk synth`). Default true. */
  readonly validation?: boolean;
}

/**
 * Makes the next synth start from scratch as a `cdk synth` process does: no
 * cached asset hashes, and no validation engine left by an earlier synth (CDK
 * keeps one per process and rebuilds it only when a template brings resource
 * types it was not built for, so alternating variants would otherwise pay for
 * it unevenly).
 */
function resetProcessCaches(): void {
  AssetStaging.clearAssetHashCache();
  CloudFormationValidatePlugin._disposeSingleton();
}

/** Builds and synthesizes a stack with `count` keys of `kind`; the output directory is removed afterwards. */
export function synthesize(kind: StackKind, count: number, opts: SynthOptions = {}): SynthSample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    resetProcessCaches();
    const started = performance.now();
    const app = new App({ outdir, context: CDK_CONTEXT, builtinCloudFormationValidation: opts.validation ?? true });
    const stack = new Stack(app, 'BenchStack', { analyticsReporting: true });
    addKeys(stack, kind, count);
    const assembly = app.synth();
    const done = performance.now();
    const artifact = assembly.getStackByName(stack.stackName);
    const template = artifact.template as { Resources?: Record<string, { Type: string }> };
    const templateBytes = fs.statSync(path.join(assembly.directory, artifact.templateFile)).size;
    const resources = Object.values(template.Resources ?? {});
    const types: Record<string, number> = {};
    for (const r of resources) {
      types[r.Type] = (types[r.Type] ?? 0) + 1;
    }
    return { totalMs: done - started, resources: resources.length, types, templateBytes };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export interface SynthTiming {
  readonly keys: number;
  /** Construct tree + synth of `keys` RotatingImportedKeys. */
  readonly rotating: Summary;
  /** The same with `keys` kms.Key + kms.Alias. */
  readonly plain: Summary;
}

/**
 * Median times (construct tree + `app.synth()`) of every size and variant; all
 * variants of all sizes interleave in each round.
 */
export async function measureSynthTimes(sizes: number[], runs: number, warmup: number, opts: SynthOptions = {}): Promise<SynthTiming[]> {
  const variants: Record<string, () => number> = {};
  for (const n of sizes) {
    for (const kind of ['rotating', 'plain'] as const) {
      variants[`${kind}-${n}`] = () => synthesize(kind, n, opts).totalMs;
    }
  }
  const samples = await interleave(variants, { runs, warmup });
  return sizes.map((n) => ({
    keys: n,
    rotating: summarize(samples[`rotating-${n}`]),
    plain: summarize(samples[`plain-${n}`]),
  }));
}

/**
 * Whole-process time of one synth in a fresh Node process (bench/synth-child.ts
 * under ts-node), per size and variant, interleaved. Both variants load the
 * same modules through ts-node (synth-child imports the construct library
 * either way), so ts-node's start-up is an equal constant in both; with
 * compiled JavaScript, as users run it, the ratio would be a little higher.
 */
export async function measureFreshProcessSynth(sizes: number[], runs: number, warmup: number): Promise<SynthTiming[]> {
  const child = path.join(__dirname, 'synth-child.ts');
  const env = { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'test', 'tsconfig.json'), TS_NODE_TRANSPILE_ONLY: 'true' };
  const expected = new Map<string, number>();
  const variants: Record<string, () => Promise<number>> = {};
  for (const n of sizes) {
    for (const kind of ['rotating', 'plain'] as const) {
      const name = `${kind}-${n}`;
      variants[name] = async () => {
        const run = await timeNodeProcess(['-r', 'ts-node/register/transpile-only', child, kind, String(n)], env);
        const { resources } = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { resources?: number };
        if (resources === undefined || (expected.has(name) && expected.get(name) !== resources)) {
          throw new Error(`measurement error: fresh-process synth of ${n} ${kind} keys reported ${resources} resources`);
        }
        expected.set(name, resources);
        return run.ms;
      };
    }
  }
  const samples = await interleave(variants, { runs, warmup });
  return sizes.map((n) => ({ keys: n, rotating: summarize(samples[`rotating-${n}`]), plain: summarize(samples[`plain-${n}`]) }));
}

export interface Footprint {
  readonly kind: StackKind;
  /** Resources of a stack with one key (group). */
  readonly oneGroup: number;
  /** Resources of a stack with two. */
  readonly twoGroups: number;
  /** resources(2) − resources(1). */
  readonly perExtraGroup: number;
  /** Resource types whose count grew from one to two (the per-group resources). */
  readonly perGroupTypes: Record<string, number>;
  /** resources(1) − perExtraGroup: what is not repeated per group (the rotation singleton, CDK metadata). */
  readonly base: number;
  /** Per-type counts of the resources not repeated (equal with one and two groups). */
  readonly sharedTypes: Record<string, number>;
}

export function measureFootprint(kind: StackKind): Footprint {
  const one = synthesize(kind, 1, { validation: false });
  const two = synthesize(kind, 2, { validation: false });
  const perGroupTypes: Record<string, number> = {};
  const sharedTypes: Record<string, number> = {};
  for (const type of new Set([...Object.keys(one.types), ...Object.keys(two.types)])) {
    const delta = (two.types[type] ?? 0) - (one.types[type] ?? 0);
    if (delta !== 0) {
      perGroupTypes[type] = delta;
    } else {
      sharedTypes[type] = one.types[type];
    }
  }
  const perExtraGroup = two.resources - one.resources;
  return { kind, oneGroup: one.resources, twoGroups: two.resources, perExtraGroup, perGroupTypes, base: one.resources - perExtraGroup, sharedTypes };
}

export interface MaxKeys {
  /** floor((500 − base) / perExtraGroup). */
  readonly estimate: number;
  /** The largest count whose synthesized stack has at most 500 resources. */
  readonly verified: number;
  /** Whether the estimate was right (estimate fits, estimate + 1 does not). */
  readonly estimateHolds: boolean;
  /** Resources of the stack with `verified` groups and with one more. */
  readonly resourcesAtMax: number;
  readonly resourcesAtMaxPlusOne: number;
  /** Managed policies CDK split the rotation role's policy into, at `verified` groups. */
  readonly managedPoliciesAtMax: number;
  /** Template size at `verified` groups. */
  readonly templateBytesAtMax: number;
  /** Counts synthesized while searching, with their resource totals. */
  readonly probes: Record<number, number>;
}

/**
 * The largest number of key groups that fits under CloudFormation's
 * 500-resource limit: estimated from base + per-group count, then verified by
 * synthesizing that many and one more. If the estimate is wrong (resources
 * that do not grow linearly, e.g. an IAM policy that CDK splits into managed
 * policies as it grows), the count walks down, then up, over synthesized stacks
 * until n fits and n + 1 does not. Resource counts do not depend on CDK's
 * template validation, so these synths skip it.
 */
export function findMaxKeys(footprint: Footprint): MaxKeys {
  const kind = footprint.kind;
  const probes: Record<number, number> = {};
  const samples = new Map<number, SynthSample>();
  const count = (n: number): number => {
    if (probes[n] === undefined) {
      try {
        const s = synthesize(kind, n, { validation: false });
        samples.set(n, s);
        probes[n] = s.resources;
      } catch (e) {
        // CDK refuses a stack over the limit at synth time, naming the count.
        probes[n] = overLimitCount(e);
      }
    }
    return probes[n];
  };
  const estimate = Math.floor((CFN_RESOURCE_LIMIT - footprint.base) / footprint.perExtraGroup);
  let n = estimate;
  while (count(n) > CFN_RESOURCE_LIMIT) {
    n -= Math.max(1, Math.ceil((count(n) - CFN_RESOURCE_LIMIT) / footprint.perExtraGroup));
    if (n < 1) {
      throw new Error(`measurement error: even one ${kind} key exceeds ${CFN_RESOURCE_LIMIT} resources`);
    }
  }
  while (count(n + 1) <= CFN_RESOURCE_LIMIT) {
    n++;
  }
  const atMax = samples.get(n);
  if (!atMax) {
    throw new Error(`measurement error: ${n} ${kind} keys did not synthesize`);
  }
  return {
    estimate,
    verified: n,
    estimateHolds: n === estimate,
    resourcesAtMax: atMax.resources,
    resourcesAtMaxPlusOne: count(n + 1),
    managedPoliciesAtMax: atMax.types['AWS::IAM::ManagedPolicy'] ?? 0,
    templateBytesAtMax: atMax.templateBytes,
    probes,
  };
}

/** The resource count in CDK's refusal of a stack over the limit; rethrows anything else. */
function overLimitCount(e: unknown): number {
  const m = /Number of resources in stack '[^']*': (\d+) is greater than allowed maximum of (\d+)/.exec(e instanceof Error ? e.message : String(e));
  if (!m || Number(m[2]) !== CFN_RESOURCE_LIMIT) {
    throw e;
  }
  return Number(m[1]);
}
