/**
 * The supply-chain audit of the bundled packages (projenrc/audit-bundled.ts):
 * on npm audit's JSON (auditReportVersion 2) as npm wrote it, for a report with
 * advisories, a clean one, and an advisory service that could not be reached;
 * then the script itself with the real npm against a local advisory service
 * and against none.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { bundledAdvisories, bundledPackages, classifyAudit, nodeOf, verdict } from '../../projenrc/audit-bundled';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const metafile = (bundle: string) => ({ bundle, metafile: JSON.parse(fixture(`${bundle}.meta.json`)) });
const BUNDLED = bundledPackages([metafile('cli'), metafile('rotation-function')]);
const report = (name: string) => {
  const outcome = classifyAudit(fixture(name), '');
  if (outcome.kind !== 'report') throw new Error(`${name} is not a report: ${JSON.stringify(outcome)}`);
  return outcome.report;
};

describe('the bundled packages, from esbuild\'s metafiles', () => {
  test('each package directory with bytes in a bundle, as npm audit names its nodes, with its bundles', () => {
    expect(BUNDLED).toEqual([
      { node: 'node_modules/@aws-sdk/client-kms', bundles: ['rotation-function'] },
      { node: 'node_modules/@aws-sdk/client-kms/node_modules/@smithy/core', bundles: ['cli'] },
      { node: 'node_modules/ansi-regex', bundles: ['cli'] },
      { node: 'node_modules/cli-table3', bundles: ['cli'] },
      { node: 'node_modules/commander', bundles: ['cli'] },
      { node: 'node_modules/string-width', bundles: ['cli'] },
      { node: 'node_modules/strip-ansi', bundles: ['cli', 'rotation-function'] },
    ]);
    // Tree-shaken (no bytes in the output) and the project's own sources are not bundled packages.
    expect(BUNDLED.map((p) => p.node)).not.toContain('node_modules/@smithy/types');
  });

  test('a path through a linked node_modules (a worktree\'s) is the project-relative node', () => {
    expect(nodeOf('../main/node_modules/@aws-sdk/core/dist-es/index.js')).toBe('node_modules/@aws-sdk/core');
    expect(nodeOf('node_modules/a/node_modules/@s/b/lib/x.js')).toBe('node_modules/a/node_modules/@s/b');
    expect(nodeOf('lambda/report/render.ts')).toBeUndefined();
  });
});

describe('npm audit\'s answer', () => {
  test('a report (auditReportVersion 2) is read as one', () => {
    expect(classifyAudit(fixture('audit-advisories.json'), '').kind).toBe('report');
    expect(classifyAudit(fixture('audit-clean.json'), '').kind).toBe('report');
  });

  test.each([
    ['audit-enotfound.json', 'npm warn audit request to http://nonexistent.invalid/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND nonexistent.invalid',
      'request to http://nonexistent.invalid/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND nonexistent.invalid'],
    ['audit-econnrefused.json', '', 'request to http://127.0.0.1:9/-/npm/v1/security/advisories/bulk failed, reason: connect ECONNREFUSED 127.0.0.1:9'],
    ['audit-503.json', '', '503 Service Unavailable - POST http://registry.example:8080/-/npm/v1/security/advisories/bulk'],
    ['audit-405.json', '', 'the registry does not serve the audit endpoint: 405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk'],
  ])('%s: the advisory service is unreachable, a clear skip', (name, stderr, reason) => {
    const outcome = classifyAudit(fixture(name), stderr);
    expect(outcome).toEqual({ kind: 'unreachable', reason });
    expect(verdict(outcome, BUNDLED)).toEqual({ lines: [`supply-chain audit SKIPPED: advisory service unreachable (${reason})`], exitCode: 0 });
  });

  test('a temporary DNS failure (EAI_AGAIN) with nothing on stdout is unreachable too, from npm\'s stderr', () => {
    const stderr = 'npm warn audit request to https://registry.example/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo EAI_AGAIN registry.example\nnpm error audit endpoint returned an error\n';
    expect(classifyAudit('', stderr)).toEqual({ kind: 'unreachable', reason: expect.stringContaining('EAI_AGAIN registry.example') });
  });

  test('any other failure is not a skip: no lock file, refused credentials, no output', () => {
    const noLock = JSON.stringify({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.', detail: 'Try creating one first with: npm i --package-lock-only' } });
    const forbidden = JSON.stringify({ message: '403 Forbidden - POST https://registry.example/-/npm/v1/security/advisories/bulk', statusCode: 403, body: '' });
    for (const [stdout, stderr] of [[noLock, ''], [forbidden, ''], ['', 'npm error something else\n']]) {
      const outcome = classifyAudit(stdout, stderr);
      expect(outcome.kind).toBe('error');
      expect(verdict(outcome, BUNDLED)).toEqual({ lines: [expect.stringMatching(/^supply-chain audit FAILED: npm audit gave no report \(.+\)$/)], exitCode: 2 });
    }
    expect(classifyAudit(noLock, '')).toEqual({ kind: 'error', reason: 'This command requires an existing lockfile.' });
  });
});

describe('the advisories of what ships', () => {
  test('only advisories of bundled copies: a development tool\'s critical and another copy\'s high do not count', () => {
    const found = bundledAdvisories(report('audit-advisories.json'), BUNDLED);
    expect(found.map((a) => [a.package, a.severity, a.url, a.nodes, a.bundles])).toEqual([
      ['commander', 'high', 'https://github.com/advisories/GHSA-xxxx-0001', ['node_modules/commander'], ['cli']],
      ['strip-ansi', 'moderate', 'https://github.com/advisories/GHSA-xxxx-0002', ['node_modules/strip-ansi'], ['cli', 'rotation-function']],
    ]);
  });

  test('a high advisory fails with one line per advisory (package, severity, URL); a moderate one is listed, not failing', () => {
    const bundled = BUNDLED.map((p) => (p.node === 'node_modules/commander' ? { ...p, version: '14.0.1' } : p));
    expect(verdict({ kind: 'report', report: report('audit-advisories.json') }, bundled)).toEqual({
      exitCode: 1,
      lines: [
        'supply-chain audit: HIGH commander@14.0.1 https://github.com/advisories/GHSA-xxxx-0001 Prototype pollution in option parsing [node_modules/commander; in cli]',
        'supply-chain audit: MODERATE strip-ansi https://github.com/advisories/GHSA-xxxx-0002 ReDoS [node_modules/strip-ansi; in cli, rotation-function] (below high: reported, not failing)',
        'supply-chain audit FAILED: 1 high or critical advisory(ies) in the 7 package(s) bundled into cli, rotation-function',
      ],
    });
  });

  test('the same report passes when the high advisory\'s package is not bundled', () => {
    const withoutCommander = BUNDLED.filter((p) => p.node !== 'node_modules/commander');
    const v = verdict({ kind: 'report', report: report('audit-advisories.json') }, withoutCommander);
    expect(v.exitCode).toBe(0);
    expect(v.lines.at(-1)).toBe('supply-chain audit passed: no high or critical advisory in the 6 package(s) bundled into cli, rotation-function (npm audit lists 6 vulnerable package(s) in the whole tree)');
  });

  test('a clean report passes', () => {
    expect(verdict({ kind: 'report', report: report('audit-clean.json') }, BUNDLED)).toEqual({
      exitCode: 0,
      lines: ['supply-chain audit passed: no high or critical advisory in the 7 package(s) bundled into cli, rotation-function (npm audit lists 0 vulnerable package(s) in the whole tree)'],
    });
  });
});

describe('the script, with the real npm', () => {
  /** A local advisory service: the bulk endpoint answers `advisories`; package documents are not found. */
  async function advisoryService(answer: (url: string) => { status: number; body: string }): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const { status, body } = answer(req.url ?? '');
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  const run = (registry: string) => promisify(execFile)(
    path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
    ['--transpile-only', '-P', 'test/tsconfig.json', 'projenrc/audit-bundled.ts', path.join(FIXTURES, 'cli.meta.json')],
    { cwd: ROOT, env: { ...process.env, npm_config_registry: registry } },
  ).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

  test('an advisory service that refuses connections: SKIPPED, exit 0', async () => {
    const { server, url } = await advisoryService(() => ({ status: 200, body: '{}' }));
    await new Promise((resolve) => server.close(resolve));
    const r = await run(url);
    expect(r.stdout).toMatch(/^supply-chain audit SKIPPED: advisory service unreachable \(request to .+ failed, reason: connect ECONNREFUSED 127\.0\.0\.1:\d+\)\n$/);
    expect(r.code).toBe(0);
  });

  test('a high advisory of a bundled package from the advisory service: exit 1, its line; a development tool\'s critical is not listed', async () => {
    const advisory = (severity: string, id: number) => ({
      id, url: `https://github.com/advisories/GHSA-test-${id}`, title: `test advisory ${id}`, severity, vulnerable_versions: '<1000.0.0', cwe: [], cvss: { score: 0, vectorString: null },
    });
    const { server, url } = await advisoryService((u) => (u.includes('/advisories/bulk')
      ? { status: 200, body: JSON.stringify({ commander: [advisory('high', 1)], dynalite: [advisory('critical', 2)] }) }
      : { status: 404, body: '{}' }));
    try {
      const r = await run(url);
      const version = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'commander', 'package.json'), 'utf8')).version;
      expect(r.stdout.split('\n')).toEqual([
        `supply-chain audit: HIGH commander@${version} https://github.com/advisories/GHSA-test-1 test advisory 1 [node_modules/commander; in cli]`,
        expect.stringMatching(/^supply-chain audit FAILED: 1 high or critical advisory\(ies\) in the 6 package\(s\) bundled into cli$/),
        '',
      ]);
      expect(r.code).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
