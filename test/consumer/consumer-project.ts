// A consumer of the published package: the library packed as the release packs
// it (`npm pack`, what `npx projen package:js` runs through jsii-pacmak),
// installed from the tarball into a fresh project, and apps synthesized there.
// No network: npm installs only the tarball (it has no dependencies), and the
// peer dependencies are this repository's own copies, linked.
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as esbuild from 'esbuild';
import type { ScenarioInput, ScenarioResult } from './synth-scenarios';

export const REPO = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = 'cdk-rotating-imported-key';
/** The peer dependencies, linked from the repository's node_modules. */
export const PEERS = ['aws-cdk-lib', 'constructs'];

/** Runs a command; throws with its output when it fails. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  }
  return String(result.stdout);
}

/** The environment without the npm_* variables of the npm that started the tests (they would steer the consumer's npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Fails unless the compiled output and the bundles are there and not older
 * than their sources, so the tarball is what the sources make (`npm test`
 * bundles and compiles before jest; run `npx projen bundle && npx projen compile`
 * before running this test alone).
 */
export function assertBuildIsCurrent(): void {
  const stale = (outputs: string[], sources: string, task: string) => {
    const missing = outputs.filter((f) => !fs.existsSync(path.join(REPO, f)));
    if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npx projen ${task}\` first`);
    const built = Math.min(...outputs.map((f) => fs.statSync(path.join(REPO, f)).mtimeMs));
    const newer = filesUnder(path.join(REPO, sources), '.ts').filter((f) => fs.statSync(f).mtimeMs > built);
    if (newer.length > 0) {
      throw new Error(`${newer.map((f) => path.relative(REPO, f)).join(', ')} changed after the last ${task}: run \`npx projen ${task}\` first`);
    }
  };
  stale(['assets/lambda/rotation-function/index.js', 'assets/lambda/cli/index.js'], 'lambda', 'bundle');
  stale(['.jsii', 'build/index.js'], 'lib', 'compile');
}

/**
 * Packs the JavaScript package as the release's package:js task does. That task
 * is `jsii-pacmak --target js`, whose JavaScript target runs `npm pack <module
 * directory>` and nothing else (jsii-pacmak's packaging.js); this runs the same
 * command without jsii-pacmak's start-up and assembly loading (about 5 s).
 * Returns the tarball's path.
 */
export function packJs(outdir: string): string {
  fs.mkdirSync(outdir, { recursive: true });
  const out = run('npm', ['pack', REPO, '--pack-destination', outdir], { cwd: outdir, env: cleanEnv() });
  // As jsii-pacmak does: the last line of the output names the tarball.
  const tarball = path.join(outdir, out.trim().split('\n').pop()!.trim());
  if (!tarball.endsWith('.tgz') || !fs.existsSync(tarball)) throw new Error(`npm pack made no tarball: ${out}`);
  return tarball;
}

/** The files in a tarball, relative to its package/ folder. */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball]).split('\n').filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, '')).sort();
}

/**
 * A fresh project at dir with the tarball installed by npm (offline; the
 * package has no dependencies to fetch) and the peer dependencies linked.
 * Returns the installed package's directory.
 */
export function installConsumer(dir: string, tarball: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true }, null, 2));
  run('npm', ['install', '--offline', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--no-package-lock', tarball],
    { cwd: dir, env: cleanEnv() });
  for (const peer of PEERS) {
    fs.symlinkSync(path.join(REPO, 'node_modules', peer), path.join(dir, 'node_modules', peer), 'dir');
  }
  return path.join(dir, 'node_modules', PACKAGE_NAME);
}

/** Transpiles TypeScript apps into appDir as CommonJS, one file each, imports left to Node's resolution. */
export function transpileApps(sources: string[], appDir: string): Record<string, string> {
  fs.mkdirSync(appDir, { recursive: true });
  const out: Record<string, string> = {};
  for (const source of sources) {
    const name = path.basename(source, '.ts');
    const target = path.join(appDir, `${name}.js`);
    if (Object.values(out).includes(target)) throw new Error(`two apps named ${name}`);
    const { code } = esbuild.transformSync(fs.readFileSync(source, 'utf8'), {
      loader: 'ts', format: 'cjs', platform: 'node', target: 'node20', sourcefile: source,
    });
    fs.writeFileSync(target, code);
    out[name] = target;
  }
  return out;
}

/** Synthesizes every scenario in one Node process started in the consumer project. */
export function synthInConsumer(consumerDir: string, runner: string, scenarios: ScenarioInput[]): ScenarioResult[] {
  const scenariosFile = path.join(consumerDir, 'scenarios.json');
  const resultFile = path.join(consumerDir, 'results.json');
  fs.writeFileSync(scenariosFile, JSON.stringify(scenarios));
  run(process.execPath, [runner, scenariosFile, path.join(consumerDir, 'cdk.out'), resultFile], { cwd: consumerDir, env: cleanEnv() });
  return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ScenarioResult[];
}

/** Whether version satisfies a caret range (^X.Y.Z), the only form the peer dependencies use. */
export function satisfiesCaret(version: string, range: string): boolean {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m || !v) throw new Error(`cannot compare ${version} with ${range}`);
  const [want, have] = [m.slice(1).map(Number), v.slice(1).map(Number)];
  if (have[0] !== want[0]) return false;
  for (let i = 1; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

/** The relative links of a Markdown file (targets without their #fragment), external ones left out. */
export function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
    .filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith('#'))
    .map((l) => l.split('#')[0]);
}
