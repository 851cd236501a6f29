/**
 * Secrecy: across the 24-month story, a rotation that dies half-way, an update
 * and a delete, no key material (raw, hex or base64) and no import token
 * appears in any log line (as Powertools writes it), event, result, error,
 * the ledger, or the keys' tags, descriptions and policies.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CallBudget } from './dying';
import { cfnEvent, groupProps, rotateNow } from './fixtures';
import { Harness } from './harness';
import { secretLeaks } from './secrets';
import { runStory, STORY_GROUP } from './story';
import { createLifecycleHandler, createRotationHandler, HandlerOptions } from '../../lambda/rotation/handler';
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
    const options = (budget?: CallBudget): HandlerOptions => {
      const kms = h.sim.client({ maxAttempts: budget ? 1 : 3 });
      const dynamodb = h.db.client();
      budget?.attach(kms);
      budget?.attach(dynamodb);
      return {
        kms,
        tagging: h.sim.taggingClient(),
        dynamodb,
        tableName: h.tableName,
        sealKeys: h.sealKeys,
        now: () => h.sim.clock.now(),
        log: powertoolsLog(new Logger({ serviceName: 'rotating-imported-key', logLevel: 'DEBUG' })),
        sleep: (ms) => h.sleep(ms),
        events: h.sim.eventBridge.client(),
      };
    };
    const recorded = (entry: (event: unknown) => Promise<unknown>) => async (event: unknown) => {
      transcript.push(JSON.stringify(event));
      try {
        const result = await entry(event);
        transcript.push(JSON.stringify(result));
        return result;
      } catch (e) {
        transcript.push(`${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
        throw e;
      }
    };
    try {
      const f = { lifecycle: recorded(createLifecycleHandler(options())), rotation: recorded(createRotationHandler(options())) };
      await runStory(h, (entry, event) => f[entry](event));
      // Failures too: an emergency rotation that dies after its import, then an Update and a Delete.
      const dying = recorded(createRotationHandler({ ...options(new CallBudget(12)), leaseMs: 60_000 }));
      await expect(dying(rotateNow(STORY_GROUP.aliasName, STORY_GROUP.groupId))).rejects.toThrow();
      h.sim.clock.advance(120_000);
      await f.rotation(rotateNow(STORY_GROUP.aliasName, STORY_GROUP.groupId));
      const props = groupProps({ GroupId: STORY_GROUP.groupId, AliasName: STORY_GROUP.aliasName, IntervalMonths: '6', RemovalPolicy: 'destroy' });
      await f.lifecycle(cfnEvent('Update', props, { OldResourceProperties: props }));
      await f.lifecycle(cfnEvent('Delete', props));
    } finally {
      out.mockRestore();
      err.mockRestore();
    }

    const allOutput = written.join('');
    // Node's own warnings share stderr; every line the function writes is one JSON object.
    const logLines = allOutput.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(700);
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(logLines.filter((l) => JSON.parse(l).step === 'import').length).toBeGreaterThanOrEqual(6);
    expect(h.sim.state.importedMaterials().length).toBeGreaterThanOrEqual(6);
    expect(h.sim.state.issuedImportTokens().length).toBeGreaterThanOrEqual(6);

    const ledger = await h.db.client().send(new ScanCommand({ TableName: h.tableName }));
    expect(ledger.Items!.length).toBeGreaterThan(0);
    expect(secretLeaks(h, allOutput)).toEqual([]);
    expect(secretLeaks(h, transcript.join('\n'))).toEqual([]);
    expect(secretLeaks(h, JSON.stringify(ledger.Items))).toEqual([]);
    expect(secretLeaks(h, JSON.stringify(h.sim.calls.list()))).toEqual([]);
    // The rotation events the function put (and the metrics lines, part of allOutput above).
    expect(h.sim.eventBridge.events().length).toBeGreaterThanOrEqual(4);
    expect(secretLeaks(h, JSON.stringify(h.sim.eventBridge.events()))).toEqual([]);
    expect(logLines.filter((l) => '_aws' in JSON.parse(l)).length).toBeGreaterThan(100);
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
