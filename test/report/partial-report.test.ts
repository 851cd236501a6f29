/**
 * A report with unreadable parts (issue 20, item 6): an auditor role that may
 * read everything the report reads except kms:GetKeyLastUsage still gets the
 * report. The Last use column says `unknown (AccessDenied)`, a finding names
 * the calls that failed, and the verdict is INCOMPLETE (exit status 1: a
 * report that does not pass; 2 stays for no report at all). The simulator's
 * authorization model decides with the auditor's own identity policy.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { renderReports, reportGroup, reportVerdict } from '../../lambda/report';
import type { PolicyDocument } from '../iam';
import { rotateNow } from '../rotation/fixtures';
import { Harness, REGION } from '../rotation/harness';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');
const ALIAS = 'alias/telemetry';
const HOUR = 3_600_000;
const REPORT_READS = ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:ListResourceTags', 'kms:VerifyMac'];

function auditor(name: string, accessKeyId: string, actions: string[]) {
  const policy: PolicyDocument = { Version: '2012-10-17', Statement: [{ Sid: 'ReportReads', Effect: 'Allow', Action: actions, Resource: '*' }] };
  return { accessKeyId, arn: `arn:aws:iam::111122223333:role/${name}`, policies: [policy], credentials: { accessKeyId, secretAccessKey: `${accessKeyId}-secret` } };
}

const FULL = auditor('Auditor', 'AKIDAUDITOR', [...REPORT_READS, 'kms:GetKeyLastUsage']);
const NO_LAST_USAGE = auditor('AuditorWithoutLastUsage', 'AKIDAUDITORNOUSAGE', REPORT_READS);

describe('the report of a caller who may not read GetKeyLastUsage', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ authorization: { principals: [FULL, NO_LAST_USAGE] } });
    const f = h.functions();
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    await h.encrypt(ALIAS, 'in use');
    h.sim.clock.advance(HOUR);
  });
  afterAll(async () => h.stop());

  const report = (who: typeof FULL) => reportGroup({
    kms: h.sim.client({ maxAttempts: 1, credentials: who.credentials }),
    dynamodb: h.db.client(),
    tableName: h.tableName,
    aliasName: ALIAS,
    sealKeys: h.sealKeys,
    now: h.sim.clock.now(),
  });

  test('with the permission: every generation\'s last use, PASS', async () => {
    const r = await report(FULL);
    expect(reportVerdict(r)).toBe('pass');
    expect(r.unreadable).toBeUndefined();
    expect(r.generations.map((g) => g.lastUsage?.operation)).toEqual(['Decrypt', 'Encrypt']);
  });

  test('without it: everything else reported, the last use unknown and named, INCOMPLETE', async () => {
    const full = await report(FULL);
    const r = await report(NO_LAST_USAGE);
    expect(reportVerdict(r)).toBe('incomplete');
    // Everything but the last use is what the full report shows.
    const strip = (x: typeof r) => x.generations.map(({ lastUsage: _u, ...g }) => g);
    expect(strip(r)).toEqual(strip(full));
    expect(r.generations.map((g) => g.lastUsage?.unreadable?.errorName)).toEqual(['AccessDeniedException', 'AccessDeniedException']);
    expect(r.unreadable!.map((u) => [u.call, u.generation, u.keyId])).toEqual(r.generations.map((g) => ['kms:GetKeyLastUsage', g.generation, g.keyId]));
    expect(r.findings.filter((x) => x.code === 'unreadable')).toEqual([{
      severity: 'warning',
      code: 'unreadable',
      message: `could not read ${r.generations.map((g) => `kms:GetKeyLastUsage of generation ${g.generation} (${g.keyId}): AccessDeniedException`).join('; ')}`
        + '; the report shows everything else, and what these would show is unknown',
    }]);
    const text = renderReports([r], 'table');
    expect(text.match(/unknown \(AccessDenied\)/g)).toHaveLength(2);
    expect(text).toContain('Result: INCOMPLETE (2 reads failed: kms:GetKeyLastUsage; not a pass)');
    const csv = renderReports([r], 'csv').trim().split('\n');
    expect(csv.slice(1).every((line) => line.includes(',unknown (AccessDenied),,,incomplete'))).toBe(true);
  });

  test('the command-line tool prints the report and exits 1, naming the calls on stderr', async () => {
    const run = (who: typeof FULL) => promisify(execFile)(process.execPath, [CLI, 'report', '--alias', ALIAS, '--at', h.sim.clock.now().toISOString()], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: who.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: who.credentials.secretAccessKey,
        AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
        CDK_ROTATING_IMPORTED_KEY_TABLE: h.tableName,
        CDK_ROTATING_IMPORTED_KEY_SETTINGS_SEAL_KEY: h.sealKeys.settings,
        CDK_ROTATING_IMPORTED_KEY_LEDGER_SEAL_KEY: h.sealKeys.state,
      },
    }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
    expect((await run(FULL)).code).toBe(0);
    const partial = await run(NO_LAST_USAGE);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toContain('Key group telemetry-group: alias/telemetry');
    expect(partial.stdout.match(/unknown \(AccessDenied\)/g)).toHaveLength(2);
    expect(partial.stdout).toContain('Result: INCOMPLETE');
    expect(partial.stderr).toMatch(/could not read kms:GetKeyLastUsage of alias\/telemetry generation 1: AccessDeniedException: .*not authorized to perform: kms:GetKeyLastUsage/);
  });
});
