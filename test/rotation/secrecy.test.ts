/**
 * Secrecy: across the whole 24-month story, no key material (raw, hex or base64)
 * and no import token appears in any log line (as Powertools writes it), event,
 * result, custom-resource response or error.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { cfnEvent, groupProps } from './fixtures';
import { Harness } from './harness';
import { secretLeaks } from './invariants';
import { runStory, STORY_GROUP } from './story';
import { createHandler } from '../../lambda/rotation/handler';
import { powertoolsLog } from '../../lambda/rotation/powertools-log';

describe('secrecy', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  test('the 24-month story leaks no material and no import token anywhere', async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => { written.push(String(chunk)); return true; };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    const transcript: string[] = [];
    try {
      const inner = createHandler({
        kms: h.sim.client({ maxAttempts: 3 }),
        tagging: h.sim.taggingClient(),
        now: () => h.sim.clock.now(),
        log: powertoolsLog(new Logger({ serviceName: 'rotating-imported-key', logLevel: 'DEBUG' })),
      });
      const handler = async (event: unknown) => {
        transcript.push(JSON.stringify(event));
        try {
          const result = await inner(event);
          transcript.push(JSON.stringify(result));
          return result;
        } catch (e) {
          transcript.push(`${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
          throw e;
        }
      };
      await runStory(h, handler);
      // Failures too: an emergency rotation that dies half-way, an Update and a Delete.
      h.sim.faults.failAfter(9);
      await expect(handler({ action: 'rotate-now', aliasName: STORY_GROUP.aliasName })).rejects.toThrow();
      h.sim.faults.clear();
      h.sim.clock.advanceDays(1);
      await handler({ action: 'rotate-now', aliasName: STORY_GROUP.aliasName });
      const props = groupProps({ GroupId: STORY_GROUP.groupId, AliasName: STORY_GROUP.aliasName, IntervalMonths: '6' });
      await handler(cfnEvent('Update', props, { OldResourceProperties: props }));
      await handler(cfnEvent('Delete', { ...props, RemovalPolicy: 'destroy' }));
    } finally {
      out.mockRestore();
      err.mockRestore();
    }

    const allOutput = written.join('');
    // Node's own warnings (about its version) share stderr; every line the function writes is one JSON object.
    const logLines = allOutput.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(700);
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(logLines.filter((l) => JSON.parse(l).step === 'import').length).toBe(6);
    expect(h.sim.state.importedMaterials().length).toBeGreaterThanOrEqual(6);
    expect(h.sim.state.issuedImportTokens().length).toBeGreaterThanOrEqual(6);

    expect(secretLeaks(h, allOutput)).toEqual([]);
    expect(secretLeaks(h, transcript.join('\n'))).toEqual([]);
    expect(secretLeaks(h, JSON.stringify(h.sim.calls.list()))).toEqual([]);
    const keyMetadata = h.sim.state.keys().map((k) => ({ tags: k.tags, description: k.description, policy: k.policy }));
    expect(secretLeaks(h, JSON.stringify(keyMetadata))).toEqual([]);
  });

  test('the leak detector finds a material in any of the encodings it checks', () => {
    const [material] = h.sim.state.importedMaterials();
    const [token] = h.sim.state.issuedImportTokens();
    for (const encoded of [material.toString('hex'), material.toString('base64'), material.toString('base64url')]) {
      expect(secretLeaks(h, `{"message":"oops","value":"${encoded}"}`)).toEqual(['key material #0 appears in the text']);
    }
    expect(secretLeaks(h, token.toString('base64'))).toEqual(['import token #0 appears in the text']);
  });
});
