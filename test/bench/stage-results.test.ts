/**
 * The benchmark's incremental results: each stage's figures are on stdout
 * and in the file as soon as the stage finishes; a stage that fails later
 * leaves them there, with the failure named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StageFile, StageResults } from '../../bench/stage-results';

describe('StageResults', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stages-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const read = (file: string): StageFile => JSON.parse(fs.readFileSync(file, 'utf8'));

  test('a failure in a later stage keeps the earlier stages\' figures, in the file and on stdout', async () => {
    const file = path.join(dir, 'results', 'partial.json');
    const lines: string[] = [];
    const stages = new StageResults(file, (l) => lines.push(l), new Date('2026-12-01T00:00:00Z'));
    expect(read(file)).toEqual({ startedAt: '2026-12-01T00:00:00.000Z', complete: false, stages: {} });

    const bundle = await stages.stage('bundle', () => ({ bytes: 123_456 }));
    expect(bundle).toEqual({ bytes: 123_456 });
    // Written before the next stage starts.
    expect(read(file).stages).toEqual({ bundle: { bytes: 123_456 } });
    await stages.stage('coldStart', async () => ({ medianMs: 210.5 }));

    const socketError = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    await expect(stages.stage('rotationCost', async () => { throw socketError; })).rejects.toBe(socketError);

    expect(read(file)).toEqual({
      startedAt: '2026-12-01T00:00:00.000Z',
      complete: false,
      stages: { bundle: { bytes: 123_456 }, coldStart: { medianMs: 210.5 } },
      failed: { stage: 'rotationCost', error: 'Error: read ECONNRESET' },
    });
    expect(lines).toEqual(['[stage] bundle {"bytes":123456}', '[stage] coldStart {"medianMs":210.5}']);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['partial.json']);
  });

  test('a run that finishes is marked complete; a stage may record a digest of its result', async () => {
    const file = path.join(dir, 'partial.json');
    const lines: string[] = [];
    const stages = new StageResults(file, (l) => lines.push(l));
    const r = await stages.stage('synth', () => ({ samples: [1, 2, 3] }), (x) => ({ n: x.samples.length }));
    expect(r.samples).toEqual([1, 2, 3]);
    stages.complete();
    expect(read(file)).toMatchObject({ complete: true, stages: { synth: { n: 3 } } });
    expect(lines).toEqual(['[stage] synth {"n":3}']);
  });
});
