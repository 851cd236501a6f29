import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  InvalidArnException,
  KMSClient,
  KMSServiceException,
  LimitExceededException,
  ListKeysCommand,
  MalformedPolicyDocumentException,
  NotFoundException,
  PutKeyPolicyCommand,
  TagException,
  UnsupportedOperationException,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { KmsSimulator, startKmsSimulator } from './index';
import { useSimulator } from './test-helpers';

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
});

const fixture = useSimulator();
let sim: KmsSimulator;
let kms: KMSClient;
beforeAll(() => ({ sim, kms } = fixture));

describe('CreateKey', () => {
  test('AWS_KMS key is Enabled with full KeyMetadata', async () => {
    const out = await kms.send(new CreateKeyCommand({ Description: 'plain', Tags: [{ TagKey: 'team', TagValue: 'a' }] }));
    const md = out.KeyMetadata!;
    expect(md.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(md).toMatchObject({
      Arn: `arn:aws:kms:us-east-1:111122223333:key/${md.KeyId}`,
      AWSAccountId: '111122223333',
      Enabled: true,
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
      Description: 'plain',
    });
    expect(md.CreationDate).toEqual(sim.clock.now());
    expect(md.CurrentKeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    expect(md.ExpirationModel).toBeUndefined();
    expect(md.ValidTo).toBeUndefined();
    expect(sim.state.key(md.KeyId!)?.tags).toEqual({ team: 'a' });
  });

  test('EXTERNAL key starts in PendingImport, disabled, without material', async () => {
    const md = (await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!;
    expect(md).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false });
    expect(md.CurrentKeyMaterialId).toBeUndefined();
    expect(sim.state.key(md.KeyId!)).toMatchObject({ hasMaterial: false, state: 'PendingImport', materials: [] });
  });

  test('default key policy grants the account root and is returned by GetKeyPolicy', async () => {
    const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy!);
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*' });
  });

  test('explicit policy is stored verbatim', async () => {
    const id = (await kms.send(new CreateKeyCommand({ Policy: POLICY }))).KeyMetadata!.KeyId!;
    const out = await kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'default' }));
    expect(out).toMatchObject({ Policy: POLICY, PolicyName: 'default' });
    expect(sim.state.key(id)?.policy).toBe(POLICY);
  });

  test.each([
    ['not JSON', '{"Statement": ['],
    ['no Statement', JSON.stringify({ Version: '2012-10-17' })],
    ['empty Statement', JSON.stringify({ Statement: [] })],
    ['statement without principal', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] })],
    ['bad Effect', JSON.stringify({ Statement: [{ Effect: 'Maybe', Principal: '*', Action: 'kms:*', Resource: '*' }] })],
  ])('malformed policy (%s) -> MalformedPolicyDocumentException', async (_name, policy) => {
    await expect(kms.send(new CreateKeyCommand({ Policy: policy }))).rejects.toThrow(MalformedPolicyDocumentException);
  });

  test('policy larger than 32 KB -> LimitExceededException', async () => {
    const big = JSON.stringify({
      Statement: [{ Sid: 'x'.repeat(33000), Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }],
    });
    await expect(kms.send(new CreateKeyCommand({ Policy: big }))).rejects.toThrow(LimitExceededException);
  });

  test('description longer than 8192 -> ValidationException', async () => {
    await expect(kms.send(new CreateKeyCommand({ Description: 'd'.repeat(8193) }))).rejects.toMatchObject({ name: 'ValidationException' });
    const ok = await kms.send(new CreateKeyCommand({ Description: 'd'.repeat(8192) }));
    expect(ok.KeyMetadata!.Description).toHaveLength(8192);
  });

  test.each([
    ['empty key', [{ TagKey: '', TagValue: 'v' }]],
    ['key of 129 chars', [{ TagKey: 'k'.repeat(129), TagValue: 'v' }]],
    ['value of 257 chars', [{ TagKey: 'k', TagValue: 'v'.repeat(257) }]],
    ['aws: prefix', [{ TagKey: 'aws:owner', TagValue: 'v' }]],
    ['AWS: prefix', [{ TagKey: 'AWS:owner', TagValue: 'v' }]],
  ])('invalid tag (%s) -> TagException', async (_name, tags) => {
    await expect(kms.send(new CreateKeyCommand({ Tags: tags }))).rejects.toThrow(TagException);
  });

  test('tag limits: 128-char key, 256-char and empty values accepted; 51 tags refused', async () => {
    const ok = await kms.send(new CreateKeyCommand({
      Tags: [{ TagKey: 'k'.repeat(128), TagValue: 'v'.repeat(256) }, { TagKey: 'empty', TagValue: '' }],
    }));
    expect(sim.state.key(ok.KeyMetadata!.KeyId!)?.tags).toEqual({ ['k'.repeat(128)]: 'v'.repeat(256), empty: '' });
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }));
    await expect(kms.send(new CreateKeyCommand({ Tags: tooMany }))).rejects.toThrow(LimitExceededException);
  });

  test('unsupported key types are refused', async () => {
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }))).rejects.toThrow(UnsupportedOperationException);
    await expect(kms.send(new CreateKeyCommand({ MultiRegion: true }))).rejects.toThrow(UnsupportedOperationException);
    await expect(kms.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('CreateKey is counted as a write', async () => {
    const before = sim.calls.writes();
    await kms.send(new CreateKeyCommand({}));
    expect(sim.calls.writes()).toBe(before + 1);
  });
});

describe('DescribeKey', () => {
  let keyId: string;
  let arn: string;

  beforeAll(async () => {
    const md = (await kms.send(new CreateKeyCommand({ Description: 'described' }))).KeyMetadata!;
    keyId = md.KeyId!;
    arn = md.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/described', TargetKeyId: keyId }));
  });

  test.each([
    ['key id', () => keyId],
    ['key ARN', () => arn],
    ['alias name', () => 'alias/described'],
    ['alias ARN', () => 'arn:aws:kms:us-east-1:111122223333:alias/described'],
  ])('accepts a %s', async (_name, id) => {
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: id() }))).KeyMetadata!;
    expect(md.KeyId).toBe(keyId);
    expect(md.Description).toBe('described');
  });

  test('unknown key, unknown alias, other account -> NotFoundException', async () => {
    await expect(kms.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' }))).rejects.toThrow(NotFoundException);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' }))).rejects.toThrow(NotFoundException);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:999999999999:key/${keyId}` }))).rejects.toThrow(NotFoundException);
  });

  test('NotFoundException is a 400 client fault with a message', async () => {
    const err = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundException);
    expect((err as KMSServiceException).$metadata.httpStatusCode).toBe(400);
    expect((err as KMSServiceException).$fault).toBe('client');
    expect((err as KMSServiceException).message).toContain('alias/missing');
  });

  test('malformed ARN -> InvalidArnException', async () => {
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'arn:aws:kms:us-east-1:111122223333:thing/x' }))).rejects.toThrow(InvalidArnException);
  });

  test('missing KeyId -> ValidationException', async () => {
    await expect(kms.send(new DescribeKeyCommand({} as never))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('ListKeys', () => {
  test('pages with Limit/Marker over all keys in creation order', async () => {
    const local = await startKmsSimulator();
    try {
      const client = local.client({ maxAttempts: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!);
      }
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await client.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
        pages++;
        seen.push(...page.Keys!.map((k) => k.KeyId!));
        expect(page.Keys!.every((k) => k.KeyArn === `arn:aws:kms:us-east-1:111122223333:key/${k.KeyId}`)).toBe(true);
        marker = page.Truncated ? page.NextMarker : undefined;
        if (page.Truncated) {
          expect(page.NextMarker).toBeDefined();
        }
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual(ids);
      const all = await client.send(new ListKeysCommand({}));
      expect(all).toMatchObject({ Truncated: false });
      expect(all.NextMarker).toBeUndefined();
    } finally {
      await local.stop();
    }
  });

  test('Limit out of range -> ValidationException; bad Marker -> InvalidMarkerException', async () => {
    await expect(kms.send(new ListKeysCommand({ Limit: 0 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new ListKeysCommand({ Limit: 1001 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new ListKeysCommand({ Marker: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidMarkerException' });
  });
});

describe('UpdateKeyDescription and PutKeyPolicy', () => {
  test('update description and policy', async () => {
    const id = (await kms.send(new CreateKeyCommand({ Description: 'old' }))).KeyMetadata!.KeyId!;
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'new' }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.Description).toBe('new');
    await kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: POLICY }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy).toBe(POLICY);
  });

  test('PutKeyPolicy validates the document; other policy names are refused', async () => {
    const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await expect(kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: 'nope' }))).rejects.toThrow(MalformedPolicyDocumentException);
    await expect(kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: POLICY, PolicyName: 'other' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'other' }))).rejects.toThrow(NotFoundException);
  });

  test('key-id-only operations refuse aliases with NotFoundException', async () => {
    const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/policy-target', TargetKeyId: id }));
    await expect(kms.send(new GetKeyPolicyCommand({ KeyId: 'alias/policy-target' }))).rejects.toThrow(NotFoundException);
    await expect(kms.send(new UpdateKeyDescriptionCommand({ KeyId: 'alias/policy-target', Description: 'x' }))).rejects.toThrow(NotFoundException);
  });
});

interface RawResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Record<string, unknown>;
}

async function rawCall(target: string, body: string): Promise<RawResponse> {
  const res = await fetch(sim.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

describe('protocol', () => {
  test('unknown operation -> 400 UnknownOperationException', async () => {
    const res = await rawCall('TrentService.NoSuchOperation', '{}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ __type: 'UnknownOperationException' });
  });

  test('unsupported KMS operations are unknown as well', async () => {
    const res = await rawCall('TrentService.CreateGrant', '{}');
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe('UnknownOperationException');
  });

  test('responses use the JSON 1.1 content type, base64 blobs and epoch-second timestamps', async () => {
    const created = await rawCall('TrentService.CreateKey', '{}');
    expect(created.status).toBe(200);
    expect(created.contentType).toBe('application/x-amz-json-1.1');
    const md = created.body.KeyMetadata as Record<string, unknown>;
    expect(md.CreationDate).toBe(sim.clock.now().getTime() / 1000);
    const encrypted = await rawCall('TrentService.Encrypt', JSON.stringify({ KeyId: md.KeyId, Plaintext: Buffer.from('raw').toString('base64') }));
    expect(encrypted.status).toBe(200);
    expect(encrypted.body.CiphertextBlob).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const decrypted = await rawCall('TrentService.Decrypt', JSON.stringify({ CiphertextBlob: encrypted.body.CiphertextBlob }));
    expect(Buffer.from(decrypted.body.Plaintext as string, 'base64').toString()).toBe('raw');
  });

  test('invalid JSON body -> SerializationException', async () => {
    const res = await rawCall('TrentService.ListKeys', '{nope');
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe('SerializationException');
  });
});
