/**
 * Calls that are accepted and never answered (a black-holed connection): every
 * client the functions make has a request time-out, so such a call fails (and
 * the SDK asks again on a fresh connection) instead of holding the run until
 * Lambda stops it. The time-outs are small here (HandlerOptions.clientTimeouts,
 * or the same request-handler options on the harness's clients); the last test
 * checks the production clients carry the chosen values.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { BlackHole, HoldingProxy } from './black-hole';
import { capturingMetrics } from './emf-capture';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Harness, REGION, SIMULATOR_CREDENTIALS } from './harness';
import { generationAlias } from '../../lambda/rotation/aliases';
import {
  ClientTimeouts, DYNAMODB_TIMEOUTS, EVENTBRIDGE_TIMEOUTS, KMS_TIMEOUTS, providerTimeouts, requestHandlerOf, S3_TIMEOUTS, TAGGING_TIMEOUTS,
} from '../../lambda/rotation/client-timeouts';
import {
  createLifecycleHandler, createRotationHandler, defaultDynamoDbClient, defaultEventBridgeClient, defaultKmsClient, defaultLambdaClient,
  defaultS3Client, defaultSingleAttemptClient, defaultTaggingClient,
} from '../../lambda/rotation/handler';
import { DEFAULT_PROVIDER_TIMEOUT_MS } from '../../lambda/rotation/provider-gateway';

const SMALL: ClientTimeouts = { connectionMs: 500, requestMs: 300 };
const IMPORT = 'TrentService.ImportKeyMaterial';
const PUT_ITEM = 'DynamoDB_20120810.PutItem';
const ROTATION_TIMEOUT_MS = 15 * 60_000;

/** The standard SDK configuration the functions' own clients read in Lambda (AWS_ENDPOINT_URL_*), for one test. */
async function withEnvironment<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('a black-holed call', () => {
  let h: Harness;
  let kmsProxy: HoldingProxy;
  let dbProxy: HoldingProxy;
  beforeEach(async () => {
    h = await Harness.start();
    kmsProxy = await HoldingProxy.start(h.sim.endpoint);
    dbProxy = await HoldingProxy.start(h.db.endpoint);
  });
  afterEach(async () => {
    await Promise.all([kmsProxy.stop(), dbProxy.stop()]);
    await h.stop();
  });

  /** The rotation function as Lambda runs it: every client its own (clientTimeouts), through the proxies. */
  function ownClientsRotation() {
    const handler = createRotationHandler({
      tableName: h.tableName,
      sealKeys: h.sealKeys,
      now: () => h.sim.clock.now(),
      log: h.log,
      sleep: (ms) => h.sleep(ms),
      metrics: capturingMetrics(h.emf),
      clientTimeouts: SMALL,
    });
    const started = h.sim.clock.now().getTime();
    return (event: unknown) => handler(event, { awsRequestId: 'run-own', getRemainingTimeInMillis: () => ROTATION_TIMEOUT_MS - (h.sim.clock.now().getTime() - started) });
  }

  const environment = () => ({
    AWS_ENDPOINT_URL_KMS: kmsProxy.endpoint,
    AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: h.sim.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dbProxy.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: h.sim.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: SIMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIMULATOR_CREDENTIALS.secretAccessKey,
  });

  test('an ImportKeyMaterial and a ledger write left unanswered are asked again on a fresh connection; the rotation goes on', async () => {
    await h.deploy(h.functions());
    const rotation = ownClientsRotation();
    await withEnvironment(environment(), async () => {
      kmsProxy.hold(IMPORT);
      dbProxy.hold(PUT_ITEM);
      const r = await rotation(rotateNow());
      expect(r).toMatchObject({ outcome: 'started', generation: 2, phase: 'promote' });
    });
    expect(kmsProxy.held).toEqual([IMPORT]);
    expect(dbProxy.held).toEqual([PUT_ITEM]);
    // The held calls were asked again and answered: one import reached KMS, and the key holds material.
    expect(kmsProxy.forwarded.filter((t) => t === IMPORT)).toHaveLength(1);
    const rec = await h.group();
    expect(h.sim.state.key(rec.generations[1].keyId)!.state).toBe('Enabled');
    expect(h.log.errors()).toEqual([]);
  });

  test('a KMS that never answers ImportKeyMaterial ends the run before its time; the next run resumes the import with the same key', async () => {
    await h.deploy(h.functions());
    const f = h.functions({ kmsConfig: { endpoint: kmsProxy.endpoint, requestHandler: requestHandlerOf(SMALL) } });
    kmsProxy.hold(IMPORT, Infinity);
    const started = h.sim.clock.now().getTime();
    await expect(f.rotation(rotateNow())).rejects.toMatchObject({ name: 'TimeoutError' });
    // Three attempts (the harness's maxAttempts), each given up on after the request time-out.
    expect(kmsProxy.held).toEqual([IMPORT, IMPORT, IMPORT]);
    expect(h.sim.clock.now().getTime() - started).toBeLessThan(60_000);
    let rec = await h.group();
    expect(rec.rotation).toMatchObject({ n: 2, phase: 'import' });
    expect(rec.lock).toBeUndefined();
    const key = rec.generations[1].keyId;
    expect(h.sim.state.key(key)!.state).toBe('PendingImport');
    expect(h.log.errors().map((l) => [l.message, l.attributes.errorName])).toEqual([['step import failed', 'TimeoutError']]);

    kmsProxy.heal();
    const next = await f.rotation(rotateIfDue());
    expect(next.phasesDone).toEqual(['import', 'test']);
    rec = await h.group();
    expect(rec.generations.map((g) => g.keyId)[1]).toBe(key);
    expect(h.sim.state.key(key)!.state).toBe('Enabled');
    expect(h.groupKeys('telemetry-group')).toHaveLength(2);
  });

  test('a Create whose ImportKeyMaterial is never answered fails with the time-out and cleans up in the time left', async () => {
    const f = h.functions({ kmsConfig: { endpoint: kmsProxy.endpoint, requestHandler: requestHandlerOf(SMALL) } });
    kmsProxy.hold(IMPORT, Infinity);
    await expect(f.lifecycle(cfnEvent('Create', groupProps()))).rejects.toMatchObject({
      name: 'TimeoutError', message: expect.stringContaining('300 ms requestTimeout'),
    });
    const rec = await h.group();
    expect(rec.status).toBe('failed');
    const [g] = rec.generations;
    expect(g.stage).toBe('discarded');
    expect(h.sim.state.key(g.keyId)!.state).toBe('PendingDeletion');
    expect(h.aliasTarget(generationAlias('telemetry-group', 1))).toBeUndefined();
    expect(h.aliasTarget('alias/telemetry')).toBeUndefined();
  });

  test('a ledger endpoint that accepts connections and never answers fails the run with a time-out, before any KMS write', async () => {
    await h.deploy(h.functions());
    const hole = await BlackHole.start();
    try {
      const lifecycle = createLifecycleHandler({
        tableName: h.tableName, sealKeys: h.sealKeys, now: () => h.sim.clock.now(), log: h.log, clientTimeouts: SMALL,
      });
      const before = h.sim.calls.writes();
      await withEnvironment({ ...environment(), AWS_ENDPOINT_URL_DYNAMODB: hole.endpoint }, async () => {
        await expect(lifecycle(cfnEvent('Update', groupProps({ Description: 'v2' })), { getRemainingTimeInMillis: () => 600_000 }))
          .rejects.toMatchObject({ name: 'TimeoutError' });
      });
      expect(h.sim.calls.writes()).toBe(before);
    } finally {
      await hole.stop();
    }
  });
});

test('the production clients carry the chosen time-outs', async () => {
  const configOf = async (client: { config: { requestHandler: unknown } }) => {
    const resolved = await (client.config.requestHandler as { configProvider: Promise<Record<string, unknown>> }).configProvider;
    return { connectionMs: resolved.connectionTimeout, requestMs: resolved.requestTimeout, throws: resolved.throwOnRequestTimeout };
  };
  const expected = (t: ClientTimeouts) => ({ ...t, throws: true });
  const clients: Array<[string, { config: { requestHandler: unknown }; destroy(): void }, ClientTimeouts]> = [
    ['kms', defaultKmsClient(), KMS_TIMEOUTS],
    ['kms (one attempt)', defaultSingleAttemptClient(), KMS_TIMEOUTS],
    ['tagging', defaultTaggingClient(), TAGGING_TIMEOUTS],
    ['dynamodb', defaultDynamoDbClient(), DYNAMODB_TIMEOUTS],
    ['events', defaultEventBridgeClient(), EVENTBRIDGE_TIMEOUTS],
    ['s3', defaultS3Client(), S3_TIMEOUTS],
    ['lambda (provider)', defaultLambdaClient(), providerTimeouts(DEFAULT_PROVIDER_TIMEOUT_MS)],
  ];
  for (const [name, client, t] of clients) {
    expect([name, await configOf(client)]).toEqual([name, expected(t)]);
    client.destroy();
  }
  // KMS answers in milliseconds, ImportKeyMaterial under load in a second or two; the provider is bounded by its own time-out first.
  expect(KMS_TIMEOUTS.requestMs).toBeGreaterThanOrEqual(5_000);
  expect(providerTimeouts(DEFAULT_PROVIDER_TIMEOUT_MS).requestMs).toBeGreaterThan(DEFAULT_PROVIDER_TIMEOUT_MS);
  // A client made without them has no request time-out at all.
  const bare = new KMSClient({ region: REGION });
  expect((await configOf(bare)).requestMs).toBeUndefined();
  bare.destroy();
});
