import { awscdk, javascript, JsonFile } from 'projen';

// Versions of record. The KMS client is bundled into the shipped Lambda asset,
// so it is pinned exactly: the bytes we test are the bytes we ship.
const KMS_CLIENT = '@aws-sdk/client-kms@3.1164.0';
const TAGGING_CLIENT = '@aws-sdk/client-resource-groups-tagging-api@3.1142.0';
const POWERTOOLS_LOGGER = '@aws-lambda-powertools/logger@2.36.0';
const ENV_CREDENTIALS = '@aws-sdk/credential-provider-env@3.972.84';
const DYNAMODB_CLIENT = '@aws-sdk/client-dynamodb@3.1162.0';
const DYNAMODB_DOCUMENT = '@aws-sdk/lib-dynamodb@3.1162.0';
const EVENTBRIDGE_CLIENT = '@aws-sdk/client-eventbridge@3.1164.0';
const POWERTOOLS_METRICS = '@aws-lambda-powertools/metrics@2.36.0';
// The CLI's rotate-now invokes the rotation function; the rotation function invokes material
// provider functions (KeyMaterialSource.fromFunction) with it, from a file of its own (lambda-client.js).
const LAMBDA_CLIENT = '@aws-sdk/client-lambda@3.1164.0';
// The rotation function writes escrow objects (MaterialEscrow) with it, from a file of its own (s3-client.js).
const S3_CLIENT = '@aws-sdk/client-s3@3.1164.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-rotating-imported-key',
  description: 'AWS CDK L3 construct that rotates KMS keys with imported key material (origin EXTERNAL) on a schedule of N months.',
  author: 'cdk-rotating-imported-key contributors',
  authorAddress: 'maintainers@example.com',
  // No public repository exists yet. jsii requires the field, so its URL stays
  // empty rather than naming a made-up host; set it when one exists.
  repositoryUrl: '',
  keywords: [
    'aws-cdk', 'awscdk', 'cdk', 'cdk-construct', 'kms', 'byok', 'bring-your-own-key',
    'imported-key-material', 'key-rotation', 'compliance', 'cryptoperiod',
  ],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // aws-cdk-lib >= 2.257 is what cdk-nag 3 needs; the scheduler L2s are GA since 2.186.
  cdkVersion: '2.276.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',

  // Layout promised to users: sources in lib/ (constructs) and lambda/ (function),
  // jsii output in build/ (see README, "Contributing").
  srcdir: 'lib',
  libdir: 'build',
  testdir: 'test',

  // CI is .ci/run; no hosted workflow files.
  github: false,
  release: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  docgen: true,
  lambdaAutoDiscover: false,
  integrationTestAutoDiscover: false,

  // Every jsii language. Packaging (jsii-pacmak) is `npm run package-all`, not part of `npm test`.
  publishToPypi: { distName: 'cdk-rotating-imported-key', module: 'cdk_rotating_imported_key' },
  publishToMaven: {
    javaPackage: 'io.github.cdkrotatingimportedkey',
    mavenGroupId: 'io.github.cdkrotatingimportedkey',
    mavenArtifactId: 'cdk-rotating-imported-key',
  },
  publishToNuget: { dotNetNamespace: 'CdkRotatingImportedKey', packageId: 'CdkRotatingImportedKey' },
  // A Go module path names the repository that serves it. With no public
  // repository yet it uses example.com (reserved for documentation, RFC 2606):
  // replace it with the repository's path before publishing Go.
  publishToGo: { moduleName: 'example.com/cdk-rotating-imported-key', packageName: 'cdkrotatingimportedkey' },

  devDeps: [
    // TypeScript 7 (the native compiler) has no JavaScript API; ts-jest and ts-node need 6.
    'typescript@~6.0.3',
    '@types/node@^22',
    KMS_CLIENT,
    TAGGING_CLIENT,
    POWERTOOLS_LOGGER,
    ENV_CREDENTIALS,
    DYNAMODB_CLIENT,
    DYNAMODB_DOCUMENT,
    EVENTBRIDGE_CLIENT,
    POWERTOOLS_METRICS,
    LAMBDA_CLIENT,
    S3_CLIENT,
    // A real DynamoDB implementation (LevelDB in memory) for the ledger's tests; never shipped.
    'dynalite@^4.0.0',
    '@types/aws-lambda',
    'esbuild@0.28.2',
    'fast-check@^4.10.2',
    // The command-line tool's argument parser (bundled into the shipped CLI).
    'commander@^14',
    // The report command's table output and its CSV output (RFC 4180 quoting), bundled into the CLI.
    'cli-table3@^0.6.5',
    'csv-stringify@^6.9.0',
    'cdk-nag@^3.0.2',
    'aws-cdk@^2.1148.1',
    '@aws-crypto/client-node@^5.0.2',
    // A Node.js 24 binary (the functions' runtime) for running the shipped bundle
    // under it: test/construct/node24.ts gives its path.
    'node@^24',
  ],

  jestOptions: {
    // CI can never rewrite a snapshot: a changed snapshot fails.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      // jest's default on two cores is one worker; most suites wait on loopback servers and child processes part of
      // the time, so two workers keep both cores busy (measured: see README, Testing).
      maxWorkers: 2,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // A guard against a hang, not a speed requirement, and the only time-out of the suite (no test sets its own):
      // a saturated machine (eight CPU-burning processes on two cores) takes minutes for a test that needs seconds
      // alone. Nothing a test asserts depends on the machine's speed.
      testTimeout: 1_800_000,
      // Coverage counts the library and function sources only. babel instruments just those files; v8's precise
      // coverage slows every line the process runs (simulator, DynamoDB, SDK), which made the clock-driven suites
      // several times slower (measured: see README, Testing).
      coverageProvider: 'babel',
      coveragePathIgnorePatterns: ['/node_modules/', '/test/', '/assets/'],
      // examples/ import the package by its name, as users do.
      moduleNameMapper: { '^cdk-rotating-imported-key$': '<rootDir>/lib/index.ts' },
      // Turns aws-cdk-lib's template validation off but in its one dedicated test (see the file).
      setupFiles: ['<rootDir>/test/jest-setup.ts'],
    },
  },

  eslintOptions: {
    dirs: ['lib'],
    // lambda/ may import devDependencies: they are bundled into the shipped asset.
    devdirs: ['lambda', 'test', 'example', 'examples', 'bench', 'demo'],
    // One type-aware project for every linted file (lib, lambda, test, example, bench, demo).
    tsconfigPath: './test/tsconfig.json',
    projectService: false,
  },
  tsconfigDev: {
    include: ['../lib/**/*.ts', '../lambda/**/*.ts', '../example/**/*.ts', '../examples/**/*.ts', '../bench/**/*.ts', '../demo/**/*.ts', '../projenrc/**/*.ts', '../.projenrc.ts'],
    compilerOptions: {
      // examples/ import the package by its name, as users do.
      paths: { 'cdk-rotating-imported-key': ['../lib/index.ts'] },
    },
  },

  gitignore: ['/assets/', 'cdk.out/', '/bench/results/', '.jsii.tabl.json'],
});

// unrs-resolver (used by jest and the eslint TypeScript resolver) 1.13.0 lacks most platform
// bindings on the registry we install from, so `npm ci` refuses the lock file; 1.12.2 has them all.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// jsii requires a repository field; it stays empty until a public repository exists.
project.package.addField('repository', { type: 'git', url: '' });

// The `node` package links its binary as node_modules/.bin/node, which would put
// every npm script and npx command (the whole toolchain and test suite) on
// Node.js 24 instead of the machine's Node.js. Only the tests that mean to run
// under Node.js 24 use it, by path (test/construct/node24.ts).
project.package.setScript('postinstall', 'node -e "require(\'fs\').rmSync(\'node_modules/.bin/node\', { force: true })"');

// jsii compiles lib/ into build/: point the package at it.
project.package.addField('main', 'build/index.js');
project.package.addField('types', 'build/index.d.ts');

// ts-jest type-checks nothing (a separate `tsc` step does, once, for everything):
// per-file transpilation keeps the suite fast on two cores.
project.tryFindObjectFile('package.json')?.addOverride('jest.transform', {
  '^.+\\.[t]sx?$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
});

// The rotation function is bundled with esbuild when the library is built, and
// the bundle ships in the package (assets/rotation/index.js), so a consumer's
// synth needs neither esbuild nor Docker. The KMS client is bundled, not taken
// from the runtime; the SDK's ES-module build tree-shakes better.
// Both bundles: Node.js 24, self-contained, minified, ES-module builds of the SDK (they tree-shake better).
const BUNDLE_OPTIONS = {
  platform: 'node',
  target: 'node24',
  externals: [],
  minify: true,
  sourcemap: false,
  watchTask: false,
  mainFields: ['module', 'main'],
};
project.bundler.addBundle('lambda/rotation-function.ts', {
  ...BUNDLE_OPTIONS,
  esbuildArgs: {
    // Lambda supplies credentials in the environment: ship only that provider.
    '--alias:@aws-sdk/credential-provider-node': './lambda/env-credentials.ts',
    // The Lambda client is the file next to the bundle, loaded by the groups that invoke a material provider only.
    '--alias:@aws-sdk/client-lambda': './lambda/lambda-sdk-shipped.ts',
    // The S3 client is the file next to the bundle too, loaded by the groups with escrow (MaterialEscrow) only.
    '--alias:@aws-sdk/client-s3': './lambda/s3-sdk-shipped.ts',
    // What went into the bundle, for its third-party notices.
    '--metafile': 'assets/lambda/rotation-function.meta.json',
  },
});
// The rotation function's Lambda client (material providers): beside index.js in the same asset,
// required at the first provider call, so that a cold start of a group with generated material stays as small as before.
project.bundler.addBundle('lambda/lambda-client.ts', {
  ...BUNDLE_OPTIONS,
  outfile: '../rotation-function/lambda-client.js',
  esbuildArgs: {
    '--alias:@aws-sdk/credential-provider-node': './lambda/env-credentials.ts',
    '--metafile': 'assets/lambda/lambda-client.meta.json',
  },
});
// The rotation function's S3 client (escrow of generated material): beside index.js in the same asset, required at the
// first escrow write, so that a cold start of a group without escrow stays as small as before.
project.bundler.addBundle('lambda/s3-client.ts', {
  ...BUNDLE_OPTIONS,
  outfile: '../rotation-function/s3-client.js',
  esbuildArgs: {
    '--alias:@aws-sdk/credential-provider-node': './lambda/env-credentials.ts',
    '--metafile': 'assets/lambda/s3-client.meta.json',
  },
});
// The operators' command-line tool, bundled the same way and shipped as the package's bin.
project.bundler.addBundle('lambda/cli.ts', {
  ...BUNDLE_OPTIONS,
  banner: '#!/usr/bin/env node',
  esbuildArgs: { '--metafile': 'assets/lambda/cli.meta.json' },
});
// License notices of exactly the third-party code each bundle contains, from esbuild's metafile.
for (const [bundle, notices] of [
  ['rotation-function', 'rotation-function/THIRD-PARTY-NOTICES.txt'],
  ['lambda-client', 'rotation-function/THIRD-PARTY-NOTICES.lambda-client.txt'],
  ['s3-client', 'rotation-function/THIRD-PARTY-NOTICES.s3-client.txt'],
  ['cli', 'cli/THIRD-PARTY-NOTICES.txt'],
]) {
  project.bundler.bundleTask.exec(
    `ts-node --transpile-only -P test/tsconfig.json projenrc/third-party-notices.ts assets/lambda/${bundle}.meta.json assets/lambda/${notices}`,
  );
}
project.package.addBin({ 'cdk-rotating-imported-key': 'assets/lambda/cli/index.js' });
// The supply-chain audit of what ships: every bundled package is a devDependency, so `npm audit --omit=dev` sees none.
// Advisories of exactly the packages in the bundles' metafiles (so it runs after `bundle`; .ci/run calls it after
// `npm test`), failing on high or critical; an unreachable advisory service is a printed skip.
project.addTask('audit:bundled', {
  description: 'npm audit of the packages bundled into the shipped assets (run after bundle): fails on high or critical advisories',
  exec: 'ts-node --transpile-only -P test/tsconfig.json projenrc/audit-bundled.ts',
});
// docs/ ships, so the README's links work inside the package.
project.npmignore?.addPatterns('/lambda/', '/example/', '/rosetta/', '/bench/', '/demo/', '/.ci/', 'cdk.json', 'cdk.out/', '!/assets/', '/assets/**/*.meta.json');

// The test command: bundle, type-check every TypeScript file (lib, lambda, test,
// example, bench), compile with jsii (the public API must stay jsii-compatible),
// then jest and eslint (projen's own steps).
project.testTask.prependExec('tsc --noEmit -p test/tsconfig.json');
project.testTask.prependSpawn(project.compileTask);
project.testTask.prependSpawn(project.bundler.bundleTask);

// Every README and API example compiles (jsii-rosetta --strict, in rosetta/default.ts-fixture):
// part of the build (about 35 s), not of `npm test`.
const rosetta = project.addTask('rosetta', {
  description: 'Compile every README and API example with jsii-rosetta --strict',
  exec: 'jsii-rosetta extract --strict .jsii',
});
project.postCompileTask.spawn(rosetta);

// The source code of every language's package (jsii-pacmak --code-only, about 30 s), which needs
// no toolchain or registry; `package-all` builds the packages themselves.
project.addTask('package:code', {
  description: 'Generate the Python, Java, .NET and Go sources into dist/code (no toolchains needed)',
  exec: 'jsii-pacmak --code-only --target python --target java --target dotnet --target go --outdir dist/code',
});

// A Python wheel without PyPI: jsii-pacmak's build pins setuptools~=75.3.2 in an isolated environment it
// fetches from PyPI; this builds the same generated sources with the setuptools and wheel already installed
// (PYTHON names the interpreter, e.g. a distribution's python3 with its python3-setuptools and python3-wheel).
project.addTask('package:python-local', {
  description: 'Build the Python wheel into dist/python from generated sources with the installed setuptools and wheel (no PyPI)',
  steps: [
    { exec: 'jsii-pacmak --code-only --target python --outdir dist/code' },
    { exec: 'sh -c \'"${PYTHON:-python3}" -m pip wheel --no-build-isolation --no-deps --no-index dist/code/python -w dist/python\'' },
  ],
});

// API docs in each jsii language (Construct Hub renders its own from the assembly; these ship in the
// package's docs/). About 30 s per language, so not part of every build: rerun after changing the API.
project.addTask('docgen:languages', {
  description: 'Render API.md in Python, Java, C# and Go into docs/api/',
  steps: [
    { exec: 'jsii-docgen -l python -o docs/api/API.python.md' },
    { exec: 'jsii-docgen -l java -o docs/api/API.java.md' },
    { exec: 'jsii-docgen -l csharp -o docs/api/API.csharp.md' },
    { exec: 'jsii-docgen -l go -o docs/api/API.go.md' },
  ],
});

// Property-based histories outside CI: npm run fuzz -- --runs N --seed S
project.addTask('fuzz', {
  description: 'Run N random histories against the simulator: npm run fuzz -- --runs N --seed S',
  exec: 'ts-node --transpile-only -P test/tsconfig.json test/model/fuzz-cli.ts',
  receiveArgs: true,
});

// Benchmarks: each figure against its baseline in the same run.
const bench = project.addTask('bench', {
  description: 'Benchmarks: synth cost, bundle size and cold start, KMS calls per rotation',
  exec: 'ts-node --transpile-only -P test/tsconfig.json bench/run.ts',
  receiveArgs: true,
});
bench.prependSpawn(project.bundler.bundleTask);

// The newcomer's first command: the example app's key group deployed and rotated for 24 simulated
// months by the shipped bundle, against the KMS simulator and a local DynamoDB (no AWS account, no network).
// ts-node transpiles with esbuild (demo/esbuild-transpiler.js; the path is relative to the tsconfig's directory).
const demo = project.addTask('demo', {
  description: 'Deploy the example app\'s key group locally and rotate it for 24 simulated months with the shipped bundle',
  exec: 'ts-node --transpiler ../demo/esbuild-transpiler.js -P test/tsconfig.json demo/run.ts',
  receiveArgs: true,
});
// The shipped bundle is a build product (git-ignored): a fresh clone makes it first.
demo.prependSpawn(project.bundler.bundleTask);

// The example app that `npx cdk synth` renders.
new JsonFile(project, 'cdk.json', {
  obj: {
    // The rotation function's bundle is a build product (git-ignored): make it first.
    app: 'npx projen bundle > /dev/null && npx ts-node --transpile-only -P test/tsconfig.json example/app.ts',
    output: 'cdk.out',
    context: {
      '@aws-cdk/aws-kms:applyImportedAliasPermissionsToPrincipal': true,
      '@aws-cdk/aws-iam:minimizePolicies': true,
      '@aws-cdk/core:stackRelativeExports': true,
    },
  },
});

project.synth();
