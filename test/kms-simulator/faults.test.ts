import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  KMSClient,
  KMSInternalException,
  KMSServiceException,
  ListKeysCommand,
  NotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { KmsSimulator } from './index';
import { createExternalKey, useSimulator } from './test-helpers';

const fixture = useSimulator();
let sim: KmsSimulator;
let kms: KMSClient;
beforeAll(() => ({ sim, kms } = fixture));

afterEach(() => {
  sim.faults.clear();
});

const listKeys = () => kms.send(new ListKeysCommand({}));

async function errorOf(p: Promise<unknown>): Promise<KMSServiceException> {
  try {
    await p;
  } catch (e) {
    return e as KMSServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('fault injection', () => {
  test('throttle(op, n): the next n calls of op get 400 ThrottlingException, other ops are unaffected', async () => {
    sim.faults.throttle('ListKeys', 2);
    for (let i = 0; i < 2; i++) {
      const err = await errorOf(listKeys());
      expect(err.name).toBe('ThrottlingException');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    await kms.send(new CreateKeyCommand({}));
    await expect(listKeys()).resolves.toMatchObject({ Truncated: false });
  });

  test("throttle(op, 'always') until clear()", async () => {
    sim.faults.throttle('DescribeKey', 'always');
    for (let i = 0; i < 3; i++) {
      await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/x' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    }
    sim.faults.clear();
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/x' }))).rejects.toThrow(NotFoundException);
  });

  test('serverError(op, n): 500 KMSInternalException (server fault)', async () => {
    sim.faults.serverError('ListKeys', 1);
    const err = await errorOf(listKeys());
    expect(err).toBeInstanceOf(KMSInternalException);
    expect(err.$metadata.httpStatusCode).toBe(500);
    expect(err.$fault).toBe('server');
    await expect(listKeys()).resolves.toBeDefined();
  });

  test("'*' targets every operation", async () => {
    sim.faults.serverError('*', 2);
    await expect(listKeys()).rejects.toThrow(KMSInternalException);
    await expect(kms.send(new CreateKeyCommand({}))).rejects.toThrow(KMSInternalException);
    await expect(listKeys()).resolves.toBeDefined();
  });

  test('failAfter(n): the first n calls from now succeed, every later call fails with 500', async () => {
    sim.faults.failAfter(3);
    const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new DescribeKeyCommand({ KeyId: id }));
    await listKeys();
    for (let i = 0; i < 3; i++) {
      const err = await errorOf(kms.send(new DescribeKeyCommand({ KeyId: id })));
      expect(err).toBeInstanceOf(KMSInternalException);
      expect(err.$metadata.httpStatusCode).toBe(500);
    }
    sim.faults.clear();
    await expect(kms.send(new DescribeKeyCommand({ KeyId: id }))).resolves.toBeDefined();
  });

  test('the SDK retries a throttled call when maxAttempts > 1', async () => {
    const retrying = sim.client({ maxAttempts: 3 });
    sim.calls.reset();
    sim.faults.throttle('ListKeys', 1);
    const out = await retrying.send(new ListKeysCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(sim.calls.count('ListKeys')).toBe(2);
    expect(sim.calls.list().map((c) => [c.op, c.ok, c.error])).toEqual([
      ['ListKeys', false, 'ThrottlingException'],
      ['ListKeys', true, undefined],
    ]);
  });

  test('the SDK retries a 5xx and gives up after maxAttempts', async () => {
    const retrying = sim.client({ maxAttempts: 2 });
    sim.faults.serverError('ListKeys', 1);
    await expect(retrying.send(new ListKeysCommand({}))).resolves.toMatchObject({ $metadata: { attempts: 2 } });
    sim.faults.serverError('ListKeys', 'always');
    const err = await errorOf(retrying.send(new ListKeysCommand({})));
    expect(err).toBeInstanceOf(KMSInternalException);
    expect(err.$metadata.attempts).toBe(2);
  });

  test('rateLimit(op, perSecond) throttles calls above the rate on the simulated clock; the SDK backs off and succeeds', async () => {
    const keyId = await createExternalKey(kms);
    const gpi = (client: KMSClient) =>
      client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
    await gpi(kms); // warm the RSA key pair cache
    sim.faults.rateLimit('GetParametersForImport', 1);
    await gpi(kms);
    await expect(gpi(kms)).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(kms.send(new DescribeKeyCommand({ KeyId: keyId }))).resolves.toBeDefined();
    await sim.sleep(999);
    await expect(gpi(kms)).rejects.toMatchObject({ name: 'ThrottlingException' });

    // The SDK's backoff on the simulated clock (sim.backoff): retries wait for the window to move on.
    const retrying = sim.client({ maxAttempts: 10, retryStrategy: sim.backoff(10) });
    sim.faults.rateLimit('GetParametersForImport', 1); // fresh one-second window
    sim.calls.reset();
    const started = sim.clock.now().getTime();
    await gpi(retrying);
    await gpi(retrying);
    const elapsed = sim.clock.now().getTime() - started;
    const calls = sim.calls.list().filter((c) => c.op === 'GetParametersForImport');
    expect(calls.filter((c) => c.ok)).toHaveLength(2);
    // Throttled at once and after 500 ms; admitted after another 1,000 ms.
    expect(calls.filter((c) => c.error === 'ThrottlingException')).toHaveLength(2);
    expect(elapsed).toBe(1500);
  });
});

describe('call log', () => {
  test('count, byOperation, list with redacted blobs, writes, reset', async () => {
    sim.calls.reset();
    const id = (await kms.send(new CreateKeyCommand({ Description: 'logged' }))).KeyMetadata!.KeyId!;
    const enc = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('top secret') }));
    await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'a', TagValue: 'b' }] }));
    await expect(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'aws:a', TagValue: 'b' }] }))).rejects.toBeDefined();
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/none' }))).rejects.toThrow(NotFoundException);

    expect(sim.calls.count()).toBe(6);
    expect(sim.calls.count('TagResource')).toBe(2);
    expect(sim.calls.byOperation()).toEqual({ CreateKey: 1, Encrypt: 1, Decrypt: 1, TagResource: 2, DescribeKey: 1 });
    expect(sim.calls.writes()).toBe(2);
    expect(sim.calls.writes({ includeFailed: true })).toBe(3);

    const list = sim.calls.list();
    expect(list[0]).toEqual({ op: 'CreateKey', request: { Description: 'logged' }, ok: true });
    expect(list[1].request).toEqual({ KeyId: id, Plaintext: '<redacted>' });
    expect(list[2].request).toEqual({ CiphertextBlob: '<redacted>' });
    expect(JSON.stringify(list)).not.toContain(Buffer.from('top secret').toString('base64'));
    expect(list[4]).toMatchObject({ op: 'TagResource', ok: false, error: 'TagException' });
    expect(list[5]).toMatchObject({ op: 'DescribeKey', ok: false, error: 'NotFoundException' });

    sim.calls.reset();
    expect(sim.calls.count()).toBe(0);
    expect(sim.calls.byOperation()).toEqual({});
  });

  test('injected faults are logged as failed calls', async () => {
    sim.calls.reset();
    sim.faults.throttle('ListKeys', 1);
    await expect(listKeys()).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(sim.calls.list()).toEqual([{ op: 'ListKeys', request: {}, ok: false, error: 'ThrottlingException' }]);
  });
});
