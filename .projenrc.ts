import { awscdk, javascript, JsonFile } from 'projen';

// Versions of record. The KMS client is bundled into the shipped Lambda asset,
// so it is pinned exactly: the bytes we test are the bytes we ship.
const KMS_CLIENT = '@aws-sdk/client-kms@3.1164.0';
const TAGGING_CLIENT = '@aws-sdk/client-resource-groups-tagging-api@3.1142.0';
const POWERTOOLS_LOGGER = '@aws-lambda-powertools/logger@2.36.0';
const ENV_CREDENTIALS = '@aws-sdk/credential-provider-env@3.972.84';
const DYNAMODB_CLIENT = '@aws-sdk/client-dynamodb@3.1162.0';
const DYNAMODB_DOCUMENT = '@aws-sdk/lib-dynamodb@3.1162.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-rotating-imported-key',
  description: 'AWS CDK L3 construct that rotates KMS keys with imported key material (origin EXTERNAL) on a schedule of N months.',
  author: 'cdk-rotating-imported-key contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/example/cdk-rotating-imported-key',
  keywords: ['cdk', 'kms', 'byok', 'imported-key-material', 'key-rotation'],
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
    // A real DynamoDB implementation (LevelDB in memory) for the ledger's tests; never shipped.
    'dynalite@^4.0.0',
    '@types/aws-lambda',
    'esbuild@0.28.2',
    'fast-check@^4.10.2',
    // The command-line tool's argument parser (bundled into the shipped CLI).
    'commander@^14',
    'cdk-nag@^3.0.2',
    'aws-cdk@^2.1148.1',
    '@aws-crypto/client-node@^5.0.2',
  ],

  jestOptions: {
    // CI can never rewrite a snapshot: a changed snapshot fails.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
    },
  },

  eslintOptions: {
    dirs: ['lib'],
    // lambda/ may import devDependencies: they are bundled into the shipped asset.
    devdirs: ['lambda', 'test', 'example', 'bench'],
    // One type-aware project for every linted file (lib, lambda, test, example, bench).
    tsconfigPath: './test/tsconfig.json',
    projectService: false,
  },
  tsconfigDev: {
    include: ['../lib/**/*.ts', '../lambda/**/*.ts', '../example/**/*.ts', '../bench/**/*.ts', '../.projenrc.ts'],
  },

  gitignore: ['/assets/', 'cdk.out/', '/bench/results/'],
});

// unrs-resolver (used by jest and the eslint TypeScript resolver) 1.13.0 lacks most platform
// bindings on the registry we install from, so `npm ci` refuses the lock file; 1.12.2 has them all.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

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
project.bundler.addBundle('lambda/rotation-function.ts', {
  platform: 'node',
  target: 'node22',
  externals: [],
  minify: true,
  sourcemap: false,
  watchTask: false,
  mainFields: ['module', 'main'],
  // Lambda supplies credentials in the environment: ship only that provider.
  esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': './lambda/env-credentials.ts' },
});
// The operators' command-line tool, bundled the same way and shipped as the package's bin.
project.bundler.addBundle('lambda/cli.ts', {
  platform: 'node',
  target: 'node22',
  externals: [],
  minify: true,
  sourcemap: false,
  watchTask: false,
  mainFields: ['module', 'main'],
  banner: '#!/usr/bin/env node',
});
project.package.addBin({ 'cdk-rotating-imported-key': 'assets/lambda/cli/index.js' });
project.npmignore?.addPatterns('/lambda/', '/example/', '/bench/', '/docs/', '/.ci/', 'cdk.json', 'cdk.out/', '!/assets/');

// The test command: bundle, type-check every TypeScript file (lib, lambda, test,
// example, bench), compile with jsii (the public API must stay jsii-compatible),
// then jest and eslint (projen's own steps).
project.testTask.prependExec('tsc --noEmit -p test/tsconfig.json');
project.testTask.prependSpawn(project.compileTask);
project.testTask.prependSpawn(project.bundler.bundleTask);

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
