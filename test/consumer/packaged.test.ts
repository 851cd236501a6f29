import * as crypto from 'crypto';
import * as fs from 'fs';
import { isBuiltin } from 'module';
import * as os from 'os';
import * as path from 'path';
import {
  assertBuildIsCurrent, installConsumer, PACKAGE_NAME, packJs, PEERS, relativeLinks, REPO, run, satisfiesCaret,
  synthInConsumer, tarballFiles, transpileApps,
} from './consumer-project';
import type { ScenarioResult, SynthMessage } from './synth-scenarios';

// The package as a user gets it: packed as the release packs it, installed from
// the tarball into a fresh project, and every examples/ app (plus one that the
// synth-time checks must speak up about) synthesized there, importing the
// package by its name from the project's node_modules, never from lib/.
// One pack, one install, one Node process for every synth.

const EXAMPLES = ['basic', 'two-groups-one-stack', 'cross-stack-consumers', 'emergency-rotation', 'alarms'];
const GUARD_RAILS = 'guard-rails';

/** Key groups (custom resources) each scenario makes, per stack: an empty app cannot pass for a quiet one. */
const KEY_GROUPS: Record<string, Record<string, number>> = {
  'basic': { BasicExample: 1 },
  'two-groups-one-stack': { TwoGroupsExample: 2 },
  'cross-stack-consumers': { KeyStack: 1, ConsumerStack: 0 },
  'emergency-rotation': { EmergencyRotationExample: 1 },
  'alarms': { AlarmsExample: 1 },
  [GUARD_RAILS]: { GuardRails: 2 },
};

/** Every warning and error a scenario's synth reports, as `<level> <construct path> <id>`. */
const EXPECTED: Record<string, string[]> = {
  ...Object.fromEntries(EXAMPLES.map((e) => [e, []])),
  [GUARD_RAILS]: [
    'error /GuardRails/LogGroup/Resource cdk-rotating-imported-key:keyArnRequired',
    'error /GuardRails/PinnedQueue cdk-rotating-imported-key:pinnedGeneration',
    'warning /GuardRails/ArchiveKey cdk-rotating-imported-key:intervalExceedsNistCryptoperiod',
    'warning /GuardRails/Table/Resource cdk-rotating-imported-key:resolvedOnce',
    'warning /GuardRails/Worker/Resource cdk-rotating-imported-key:deployTimeValue',
  ],
};

/** Files a consumer needs, relative to the package root. */
const REQUIRED = [
  'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'API.md', '.jsii',
  'build/index.js', 'build/index.d.ts',
  'assets/lambda/rotation-function/index.js', 'assets/lambda/rotation-function/THIRD-PARTY-NOTICES.txt',
  // The rotation function's Lambda client (material providers), loaded at its first use.
  'assets/lambda/rotation-function/lambda-client.js', 'assets/lambda/rotation-function/THIRD-PARTY-NOTICES.lambda-client.txt',
  // Its S3 client (escrow), loaded at its first use.
  'assets/lambda/rotation-function/s3-client.js', 'assets/lambda/rotation-function/THIRD-PARTY-NOTICES.s3-client.txt',
  'assets/lambda/cli/index.js', 'assets/lambda/cli/THIRD-PARTY-NOTICES.txt',
  ...fs.readdirSync(path.join(REPO, 'docs'), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile()).map((f) => path.relative(REPO, path.join(f.parentPath, f.name)).split(path.sep).join('/')),
  // The README links examples/.
  ...EXAMPLES.map((e) => `examples/${e}.ts`),
];

/** Everything the package may hold; anything else (tests, sources, build tooling, bundle metafiles) must not ship. */
const ALLOWED = [
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|API\.md)$/,
  /^\.jsii$/,
  // jsii-rosetta's translations of the examples in the docs, reused by dependents' builds.
  /^\.jsii\.tabl\.json$/,
  /^build\/([\w-]+\/)*[\w-]+\.(js|d\.ts)$/,
  /^assets\/lambda\/(rotation-function|cli)\/(index\.js|THIRD-PARTY-NOTICES\.txt)$/,
  /^assets\/lambda\/rotation-function\/(lambda-client\.js|THIRD-PARTY-NOTICES\.lambda-client\.txt)$/,
  /^assets\/lambda\/rotation-function\/(s3-client\.js|THIRD-PARTY-NOTICES\.s3-client\.txt)$/,
  // docs/api/: the API reference in each jsii language.
  /^docs\/(api\/)?[\w.-]+\.(md|json)$/,
  /^examples\/[\w-]+\.ts$/,
];

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const idOf = (m: SynthMessage) => /\[ack: ([\w-]+:\w+)\]\s*$/.exec(m.text)?.[1] ?? `(no id) ${m.text}`;
const summary = (r: ScenarioResult) => r.messages.map((m) => `${m.level} ${m.path} ${idOf(m)}`).sort();

let tmp: string;
let files: string[];
let consumer: string;
let installed: string;
let results: Record<string, ScenarioResult>;

beforeAll(() => {
  assertBuildIsCurrent();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rotating-imported-key-consumer-'));
  const tarball = packJs(path.join(tmp, 'dist'));
  files = tarballFiles(tarball);
  consumer = path.join(tmp, 'consumer');
  installed = installConsumer(consumer, tarball);
  const apps = transpileApps([
    ...EXAMPLES.map((e) => path.join(REPO, 'examples', `${e}.ts`)),
    path.join(__dirname, `${GUARD_RAILS}.ts`),
    path.join(__dirname, 'synth-scenarios.ts'),
  ], path.join(consumer, 'app'));
  const scenarios = [...EXAMPLES, GUARD_RAILS].map((name) => ({ name, module: apps[name] }));
  results = Object.fromEntries(synthInConsumer(consumer, apps['synth-scenarios'], scenarios).map((r) => [r.name, r]));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the tarball', () => {
  test('holds what a consumer needs', () => {
    expect(REQUIRED.filter((f) => !files.includes(f))).toEqual([]);
    // Every module has its declarations.
    const modules = files.filter((f) => /^build\/.*\.js$/.test(f));
    expect(modules.length).toBeGreaterThan(5);
    expect(modules.filter((f) => !files.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
  });

  test('holds nothing else (no tests, TypeScript sources, tooling or bundle metafiles)', () => {
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
  });

  test('package.json: entry points that exist, no dependencies to install, peer dependencies the tests satisfy', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(pkg.name).toBe(PACKAGE_NAME);
    for (const entry of [pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)]) {
      expect(files).toContain(path.posix.normalize(entry));
    }
    expect(pkg.bin).toEqual({ [PACKAGE_NAME]: 'assets/lambda/cli/index.js' });
    // The functions and the CLI are bundled: nothing to fetch at install.
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual([...PEERS].sort());
    for (const peer of PEERS) {
      const { version } = JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules', peer, 'package.json'), 'utf8'));
      expect(`${peer}@${version} satisfies ${pkg.peerDependencies[peer]}: ${satisfiesCaret(version, pkg.peerDependencies[peer])}`)
        .toBe(`${peer}@${version} satisfies ${pkg.peerDependencies[peer]}: true`);
    }
  });

  test('the compiled library requires only Node.js built-ins and its peer dependencies', () => {
    const required = files.filter((f) => /^build\/.*\.js$/.test(f))
      .flatMap((f) => [...fs.readFileSync(path.join(installed, f), 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))
      .filter((m) => !m.startsWith('.'));
    expect(required.length).toBeGreaterThan(0);
    const outside = required.filter((m) => !isBuiltin(m) && !PEERS.some((peer) => m === peer || m.startsWith(`${peer}/`)));
    expect([...new Set(outside)]).toEqual([]);
  });

  test('every relative link of the README and docs/ resolves inside the package', () => {
    const markdown = files.filter((f) => f.endsWith('.md'));
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md']));
    const broken = markdown.flatMap((doc) => relativeLinks(fs.readFileSync(path.join(installed, doc), 'utf8'))
      .map((link) => path.posix.normalize(path.posix.join(path.posix.dirname(doc), link)).replace(/\/$/, ''))
      .filter((target) => !files.some((f) => f === target || f.startsWith(`${target}/`)))
      .map((target) => `${doc} -> ${target}`));
    expect(broken).toEqual([]);
  });
});

test('the packaged CLI runs from the consumer\'s node_modules/.bin', () => {
  const bin = path.join(consumer, 'node_modules', '.bin', PACKAGE_NAME);
  expect(fs.realpathSync(bin)).toBe(fs.realpathSync(path.join(installed, 'assets', 'lambda', 'cli', 'index.js')));
  const help = run(bin, ['--help'], { cwd: consumer });
  expect(help).toMatch(new RegExp(`^Usage: ${PACKAGE_NAME} `));
  for (const command of ['rotate-now', 'report', 'recover-ledger']) expect(help).toMatch(new RegExp(`^ {2}${command} `, 'm'));
});

describe.each([...EXAMPLES, GUARD_RAILS])('%s, synthesized from the tarball', (name) => {
  test('imports the installed package, with the one aws-cdk-lib of the app', () => {
    const r = results[name];
    expect(path.relative(fs.realpathSync(installed), r.libraryPath)).toBe(path.join('build', 'index.js'));
    expect(r.cdkLibFromLibrary).toBe(r.cdkLibFromApp);
  });

  test('makes its key groups', () => {
    const groups = Object.fromEntries(results[name].stacks.map((s) => [s.name, s.resourceTypes['Custom::RotatingImportedKey'] ?? 0]));
    expect(groups).toEqual(KEY_GROUPS[name]);
  });

  test('reports exactly the expected warnings and errors', () => {
    expect(summary(results[name])).toEqual(EXPECTED[name]);
  });

  test('the lifecycle and rotation functions run the bundle that ships in the package', () => {
    const shipped = sha256(path.join(installed, 'assets', 'lambda', 'rotation-function', 'index.js'));
    const ours = results[name].stacks.flatMap((s) => s.functions).filter((f) => /^index\.(lifecycle|rotation)Handler$/.test(f.handler));
    expect(ours.map((f) => f.handler).sort()).toEqual(['index.lifecycleHandler', 'index.rotationHandler']);
    for (const f of ours) {
      expect(f.runtime).toBe('nodejs24.x');
      expect(f.assetIndexSha256).toBe(shipped);
    }
  });
});

test('the guard-rails messages say what is wrong and what to do', () => {
  const text = (p: string) => results[GUARD_RAILS].messages.find((m) => m.path === p)!.text;
  expect(text('/GuardRails/Table/Resource')).toContain('resolves key group GuardRails/DataKey (alias/consumer/data, through keyArn) once');
  expect(text('/GuardRails/LogGroup/Resource')).toMatch(/Use a conventional kms\.Key \(enableKeyRotation: true\)/);
  expect(text('/GuardRails/PinnedQueue')).toMatch(/is given currentKeyId of key group GuardRails\/DataKey .*A redeploy with unchanged props does not change it/);
  expect(text('/GuardRails/ArchiveKey')).toContain('rotationInterval: 36 months is longer than the 24-month originator-usage period');
});
