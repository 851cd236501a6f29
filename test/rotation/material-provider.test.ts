/**
 * KeyMaterialSource.fromFunction: the functions ask a provider function that
 * behaves like an on-premises HSM (reference-hsm-provider.ts), through the
 * real Lambda client and a Lambda Invoke endpoint that authorizes each caller
 * against the policies the stack synthesized, and import the wrapped material
 * it returns. The simulator proves that KMS holds the provider's material;
 * every misbehaviour is refused before KMS imports anything.
 */
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { BundleProcess } from './bundle-process';
import { DeployedStack } from './deployed-stack';
import { cfnEvent, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { schemaViolations } from './json-schema-check';
import { LambdaEndpoint } from './lambda-endpoint';
import { PROVIDER_ARN, providerStack, ProviderWorld, startProviderWorld } from './provider-world';
import { Misbehaviour, ReferenceHsmProvider, wrap } from './reference-hsm-provider';
import { secretLeaks } from './secrets';
import { expectedWrappedLength } from '../../lambda/rotation/provider-contract';
import { node24Binary } from '../construct/node24';
import { decryptBlob, parseBlob } from '../kms-simulator/ciphertext';

const GROUP = 'telemetry-group';
const schema = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'docs', `material-provider-${name}.schema.json`), 'utf8'));

describe('material from a provider function', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let hsm: ReferenceHsmProvider;
  let endpoint: LambdaEndpoint;
  let world: ProviderWorld;
  beforeAll(() => {
    stack = providerStack();
  });
  beforeEach(async () => {
    world = await startProviderWorld(stack);
    ({ h, f, hsm, endpoint } = world);
  });
  afterEach(async () => {
    await world.stop();
  });

  test('deploy and a scheduled rotation import the material the provider holds; the functions never see it', async () => {
    expect(stack.resourceProperties.MaterialSource).toBe(JSON.stringify({ type: 'function', functionArn: PROVIDER_ARN }));
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    // Ciphertexts the simulator makes under each current generation (retired ones only decrypt).
    const proofs = [Buffer.from(await h.encrypt('alias/telemetry', 'proof-1'))];
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    const outcomes = await h.runSchedule(f, 40 * 60_000);
    expect(outcomes.map((o) => o.outcome).slice(0, 3)).toEqual(['started', 'promoted', 'completed']);
    proofs.push(Buffer.from(await h.encrypt('alias/telemetry', 'proof-2')));

    // Generation 1 was asked for by the lifecycle role, generation 2 by the rotation role; both allowed by their own policies.
    expect(endpoint.invocations.map((i) => [i.caller, i.allowed, (i.event as { generation: number }).generation])).toEqual([
      [stack.lifecycle.arn, true, 1], [stack.rotation.arn, true, 2],
    ]);
    const [request] = hsm.requests.slice(-1);
    const rec = await h.group(GROUP);
    const g2 = rec.generations.find((g) => g.n === 2)!;
    expect(request).toEqual({
      purpose: 'new',
      group: GROUP,
      generation: 2,
      keyId: g2.keyId,
      wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      wrappingKeySpec: 'RSA_4096',
      publicKey: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      importTokenExpiresAt: expect.stringMatching(/^2026-07-02T03:\d\d:\d\d\.\d{3}Z$/),
    });

    // What the functions sent, and what the reference provider answers, is what docs/ says.
    for (const r of hsm.requests) expect(schemaViolations(schema('request'), r)).toEqual([]);
    expect(schemaViolations(schema('answer'), await hsm.invoke(request))).toEqual([]);

    for (const n of [1, 2]) {
      const g = rec.generations.find((x) => x.n === n)!;
      expect(g).toMatchObject({ materialSource: 'function', keyMaterialDescription: `rotation group:${GROUP} generation:${n} source:function provider:hsm-partition-7` });
      // The ciphertext the simulator made under the generation opens with the provider's material (the simulator's blob format).
      const blob = parseBlob(proofs[n - 1]);
      expect(blob.keyId).toBe(g.keyId);
      expect(decryptBlob(blob, hsm.material(GROUP, n)!, {}).toString()).toBe(`proof-${n}`);
    }
    const events = await h.ledger.events(GROUP);
    expect(events.filter((e) => e.type === 'material-imported').map((e) => e.detail?.source)).toEqual(['function', 'function']);

    // The plaintext never reached the functions: not in a log line, the ledger, an AWS call, or what they sent the provider.
    const ledger = await h.db.client().send(new ScanCommand({ TableName: h.tableName }));
    expect(h.sim.state.importedMaterials().map((m) => m.toString('hex'))).toEqual([1, 2].map((n) => hsm.material(GROUP, n)!.toString('hex')));
    const texts = [h.log.text(), JSON.stringify(ledger.Items), JSON.stringify(h.sim.calls.list())]
      .concat(JSON.stringify(hsm.requests), JSON.stringify(outcomes));
    for (const text of texts) {
      expect(secretLeaks(h, text)).toEqual([]);
    }
  });

  const refusals: Array<[Misbehaviour, RegExp]> = [
    ['error', /failed \(FunctionError Unhandled\): HsmUnavailable: HSM partition is offline/],
    ['not-json', /answered something that is not JSON/],
    ['missing-field', /answered unexpected field\(s\) "wrapped"/],
    ['garbage', /answered an encryptedKeyMaterial that is not base64/],
    ['wrong-length', /answered 100 bytes of encryptedKeyMaterial; RSAES_OAEP_SHA_256 with RSA_4096 wraps 32 bytes of material into exactly 512/],
    ['other-key', /answered material KMS refused \(InvalidCiphertextException: it is not wrapped to the public key of this request/],
    ['short-material', /answered material KMS refused \(IncorrectKeyMaterialException: it is not 256-bit symmetric key material\)/],
    ['time-out', /did not answer within 0.3 s \(time-out\)/],
  ];

  test('each misbehaviour is refused with its reason and one ERROR line; the rotation stays in import and the next run succeeds', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    await hsm.prepareOtherKey(4096);
    for (const [misbehaviour, reason] of refusals) {
      hsm.misbehave = misbehaviour;
      const errorsBefore = h.log.errors().length;
      // The provider's time-out is real time: short only where it is the point (the provider answers after 2 s).
      const run = misbehaviour === 'time-out' ? world.withProviderTimeout(300) : f;
      const failed = await run.rotation(rotateNow()).then(() => undefined, (e: Error) => e);
      expect(failed?.message).toMatch(new RegExp(`^material provider ${PROVIDER_ARN} ${reason.source}.*; no key material was imported$`));
      expect(failed?.name).toBe('MaterialProviderError');
      const errors = h.log.errors().slice(errorsBefore);
      expect(errors.map((l) => [l.message, l.attributes.provider, l.attributes.errorName])).toEqual([['step import failed', PROVIDER_ARN, 'MaterialProviderError']]);
      const rec = await h.group(GROUP);
      expect(rec.rotation).toMatchObject({ n: 2, phase: 'import' });
      const g2 = rec.generations.find((g) => g.n === 2)!;
      expect(g2.importedAt).toBeUndefined();
      expect(h.sim.state.key(g2.keyId)).toMatchObject({ state: 'PendingImport', hasMaterial: false });
      expect(h.aliasTarget('alias/telemetry')).toBe(rec.generations[0].keyId);
    }
    hsm.misbehave = 'none';
    const done = await f.rotation(rotateNow());
    expect(done.phasesDone).toEqual(['import', 'test']);
    const g2 = (await h.group(GROUP)).generations.find((g) => g.n === 2)!;
    const after = parseBlob(Buffer.from(await h.encrypt(g2.keyArn, 'after')));
    expect(decryptBlob(after, hsm.material(GROUP, 2)!, {}).toString()).toBe('after');
    expect(secretLeaks(h, h.log.text())).toEqual([]);
  });

  test('a provider that fails during the Create fails the Create, which cleans up as any failed Create does', async () => {
    hsm.misbehave = 'error';
    await expect(f.lifecycle(cfnEvent('Create', stack.resourceProperties))).rejects.toThrow(`material provider ${PROVIDER_ARN} failed`);
    const rec = await h.group(GROUP);
    expect(rec.status).toBe('failed');
    expect(rec.rotation).toBeUndefined();
    expect(rec.generations.map((g) => [g.n, g.stage, !!g.deletionScheduledAt])).toEqual([[1, 'discarded', true]]);
    expect(h.log.errors().map((l) => l.message)).toEqual(['step import failed']);
  });

  test('with too little time left the provider is not called at all', async () => {
    const hurried = h.functions({
      credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials },
      lambdaEndpoint: endpoint.url,
      remainingMs: 20_000,
    });
    await expect(hurried.lifecycle(cfnEvent('Create', stack.resourceProperties)))
      .rejects.toThrow(/was not called: the function has \d+ s left, too little to wait for it; no key material was imported/);
    expect(endpoint.invocations).toEqual([]);
  });

  test('the shipped bundle loads its Lambda client (lambda-client.js, not part of index.js) at the first provider call, under Node.js 24', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'assets', 'lambda', 'rotation-function.meta.json'), 'utf8'));
    expect(Object.keys(Object.values<any>(meta.outputs)[0].inputs).filter((i) => i.includes('client-lambda'))).toEqual([]);
    const env = h.bundleEnvironment(stack.lifecycle.credentials, { AWS_ENDPOINT_URL_LAMBDA: endpoint.url });
    const bundle = new BundleProcess(env, h.log, node24Binary());
    try {
      await bundle.invoke('lifecycle', cfnEvent('Create', stack.resourceProperties), h.sim.clock.now());
    } finally {
      bundle.stop();
    }
    expect(endpoint.invocations.map((i) => [i.caller, i.allowed])).toEqual([[stack.lifecycle.arn, true]]);
    const g1 = (await h.group(GROUP)).generations[0];
    expect(g1).toMatchObject({ stage: 'current', materialSource: 'function' });
    expect(h.sim.state.importedMaterials().map((m) => m.toString('hex'))).toEqual([hsm.material(GROUP, 1)!.toString('hex')]);
  });

  test.each(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const)(
    'the reference provider\'s %s wrap has the length the functions expect and unwraps with the private key',
    (algorithm) => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const material = randomBytes(32);
      const wrapped = wrap(publicKey, algorithm, material);
      expect(wrapped.length).toBe(expectedWrappedLength(publicKey.export({ format: 'der', type: 'spki' }), algorithm));
      const oaep = (hash: string, data: Buffer) =>
        privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
      let back: Buffer;
      if (algorithm === 'RSA_AES_KEY_WRAP_SHA_256') {
        const kwp = createDecipheriv('id-aes256-wrap-pad', oaep('sha256', wrapped.subarray(0, 256)), Buffer.from('A65959A6', 'hex'));
        back = Buffer.concat([kwp.update(wrapped.subarray(256)), kwp.final()]);
      } else {
        back = oaep(algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256', wrapped);
      }
      expect(back.equals(material)).toBe(true);
    },
  );
});
