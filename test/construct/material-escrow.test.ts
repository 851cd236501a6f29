/**
 * The `escrow` prop: no escrow leaves the template as it was; toNewBucket()
 * creates a versioned, COMPLIANCE-locked, private, TLS-only, retained bucket;
 * both function roles get the escrow object actions on exactly the group's
 * prefix (and the bucket's KMS key when it has one), nothing else; every bad
 * combination fails at synth naming the prop.
 */
import { generateKeyPairSync } from 'node:crypto';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { customResourceProperties, functionRoles, identityStatementsOf, TEST_ACCOUNT, TEST_REGION } from './synthesized-policies';
import { EscrowWrapping, KeyMaterialSource, MaterialEscrow, RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';

const pem = (type: 'rsa' | 'ec', bits = 2048) => (type === 'rsa'
  ? generateKeyPairSync('rsa', { modulusLength: bits })
  : generateKeyPairSync('ec', { namedCurve: 'P-256' })).publicKey.export({ format: 'pem', type: 'spki' }).toString();
const PEM = pem('rsa');

function synth(escrow?: (stack: Stack) => MaterialEscrow, extra: (stack: Stack) => Partial<RotatingImportedKeyProps> = () => ({})) {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
  const key = new RotatingImportedKey(stack, 'Key', {
    aliasName: 'alias/telemetry', groupId: 'telemetry-group', rotationInterval: RotationInterval.months(6), escrow: escrow?.(stack), ...extra(stack),
  });
  return { stack, key, template: Template.fromStack(stack).toJSON() };
}

/** Every identity statement of the function roles that allows an s3: action or a KMS action on a non-key/* resource, by role. */
function escrowStatements(template: Record<string, any>): Record<string, unknown[]> {
  const roles = functionRoles(template);
  const out: Record<string, unknown[]> = {};
  for (const [name, id] of Object.entries({ lifecycle: roles.lifecycle, rotation: roles.rotation, scheduler: roles.scheduler })) {
    out[name] = identityStatementsOf(template, id)
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')) || [s.Resource].flat().some((r: string) => /:key\/(?!\*)/.test(r)))
      .map((s) => ({ Action: s.Action, Resource: s.Resource }));
  }
  return out;
}

const OBJECT_ACTIONS = [
  's3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:GetObjectTagging', 's3:GetObjectVersionTagging',
];

describe('material escrow', () => {
  test('no escrow leaves the template as it was: no Escrow property, no bucket, no S3 permission', () => {
    const { template } = synth();
    expect(customResourceProperties(template).Escrow).toBeUndefined();
    expect(Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::S3::Bucket')).toEqual([]);
    expect(escrowStatements(template)).toEqual({ lifecycle: [], rotation: [], scheduler: [] });
  });

  test('toNewBucket creates one bucket for the group: versioned, Object Lock COMPLIANCE for the retention, private, TLS only, SSE-S3, retained', () => {
    const { template, key } = synth(() => MaterialEscrow.toNewBucket({ publicKeyPem: PEM, lockRetention: Duration.days(3650) }));
    const buckets = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    const [id, bucket] = buckets[0];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } } },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    const policy = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::S3::BucketPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([expect.objectContaining({
      Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' },
    })]);
    expect(Stack.of(key).resolve(key.escrowBucket!.bucketName)).toEqual({ Ref: id });
    const property = JSON.parse(customResourceProperties(template).Escrow);
    expect(property).toEqual({
      bucket: id.toLowerCase(),
      prefix: 'escrow/',
      publicKey: expect.stringMatching(/^MII[A-Za-z0-9+/]+=*$/),
      wrapping: 'RSAES_OAEP_SHA_256',
    });
    // Both roles: the object actions on exactly this group's prefix; no delete, no list, nothing on the bucket itself.
    const expected = [{ Action: OBJECT_ACTIONS, Resource: `arn:aws:s3:::${id.toLowerCase()}/escrow/telemetry-group/*` }];
    expect(escrowStatements(template)).toEqual({ lifecycle: expected, rotation: expected, scheduler: [] });
  });

  test('toBucket uses the given bucket (with or without Object Lock), its prefix and wrapping, and grants its KMS key to both roles', () => {
    const { template } = synth((stack) => MaterialEscrow.toBucket(
      new s3.Bucket(stack, 'Shared', { encryptionKey: new kms.Key(stack, 'BucketKey'), versioned: true }),
      { publicKeyPem: pem('rsa', 4096), prefix: 'kms/escrow/', wrapping: EscrowWrapping.RSA_AES_KEY_WRAP_SHA_256 },
    ));
    const ids = Object.entries<any>(template.Resources)
      .filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key'].includes(r.Type) && r.Properties?.KeySpec !== 'HMAC_256').map(([i, r]) => [r.Type, i]);
    const bucketId = ids.find(([t]) => t === 'AWS::S3::Bucket')![1];
    const keyId = ids.find(([t]) => t === 'AWS::KMS::Key')![1];
    expect(ids).toHaveLength(2);
    expect(JSON.parse(customResourceProperties(template).Escrow)).toMatchObject({ bucket: bucketId.toLowerCase(), prefix: 'kms/escrow/', wrapping: 'RSA_AES_KEY_WRAP_SHA_256' });
    const expected = [
      { Action: OBJECT_ACTIONS, Resource: `arn:aws:s3:::${bucketId.toLowerCase()}/kms/escrow/telemetry-group/*` },
      { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/${keyId}` },
    ];
    expect(escrowStatements(template)).toEqual({ lifecycle: expected, rotation: expected, scheduler: [] });
  });

  test('two groups share one statement with both prefixes; a group without escrow adds nothing', () => {
    const app = new App();
    const stack = new Stack(app, 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
    const bucket = s3.Bucket.fromBucketName(stack, 'Shared', 'escrow-bucket');
    for (const [id, escrow] of [['A', true], ['B', true], ['C', false]] as const) {
      new RotatingImportedKey(stack, id, {
        aliasName: `alias/${id}`,
        groupId: `group-${id}`,
        rotationInterval: RotationInterval.months(6),
        escrow: escrow ? MaterialEscrow.toBucket(bucket, { publicKeyPem: PEM }) : undefined,
      });
    }
    const template = Template.fromStack(stack).toJSON();
    const expected = [{ Action: OBJECT_ACTIONS, Resource: ['arn:aws:s3:::escrow-bucket/escrow/group-A/*', 'arn:aws:s3:::escrow-bucket/escrow/group-B/*'] }];
    expect(escrowStatements(template)).toEqual({ lifecycle: expected, rotation: expected, scheduler: [] });
  });

  const refusals: Array<[string, (stack: Stack) => Partial<RotatingImportedKeyProps>, RegExp]> = [
    ['escrow with a provider function', (stack) => ({
      escrow: MaterialEscrow.toBucket(s3.Bucket.fromBucketName(stack, 'B', 'escrow-bucket'), { publicKeyPem: PEM }),
      material: KeyMaterialSource.fromFunction(lambda.Function.fromFunctionArn(stack, 'Hsm', `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:hsm`)),
    }), /escrow and material: MaterialEscrow escrows generated material only \(KeyMaterialSource\.generated\(\)\)/],
    ['a PEM that is no public key', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: 'not a key', lockRetention: Duration.days(30) }) }),
      /escrow\.publicKeyPem must be a PEM "PUBLIC KEY" \(SubjectPublicKeyInfo\)/],
    ['a private key', () => ({
      escrow: MaterialEscrow.toNewBucket({
        publicKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), lockRetention: Duration.days(30),
      }),
    }), /escrow\.publicKeyPem must be a PEM "PUBLIC KEY"/],
    ['a broken PEM', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', lockRetention: Duration.days(30) }) }),
      /escrow\.publicKeyPem is not a readable PEM public key/],
    ['an EC key', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: pem('ec'), lockRetention: Duration.days(30) }) }),
      /escrow\.publicKeyPem must be an RSA public key of 2048 to 4096 bits; received a ec key/],
    ['a 1024-bit key', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: pem('rsa', 1024), lockRetention: Duration.days(30) }) }),
      /escrow\.publicKeyPem must be an RSA public key of 2048 to 4096 bits; received 1024 bits/],
    ['a lock of hours', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: PEM, lockRetention: Duration.hours(12) }) }),
      /escrow\.lockRetention must be whole days from 1 day to 36500 days \(100 years\); received 12 hours/],
    ['a lock beyond 100 years', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: PEM, lockRetention: Duration.days(36501) }) }),
      /escrow\.lockRetention must be whole days from 1 day to 36500 days/],
    ['a prefix without its slash', () => ({ escrow: MaterialEscrow.toNewBucket({ publicKeyPem: PEM, lockRetention: Duration.days(30), prefix: 'escrow' }) }),
      /escrow\.prefix must be empty or end in "\/"/],
  ];

  test.each(refusals)('%s fails at synth naming the prop', (_name, props, message) => {
    expect(() => synth(undefined, props)).toThrow(message);
  });

  test('the 4096-bit upper bound and a one-day lock are accepted', () => {
    expect(() => synth(() => MaterialEscrow.toNewBucket({ publicKeyPem: pem('rsa', 4096), lockRetention: Duration.days(1) }))).not.toThrow();
  });

  test('roles outside the library get nothing on the escrow bucket', () => {
    const { template, stack } = synth(() => MaterialEscrow.toNewBucket({ publicKeyPem: PEM, lockRetention: Duration.days(30) }),
      (s) => ({ description: s.stackName }));
    void stack;
    const others = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id]) => id).filter((id) => !Object.values(functionRoles(template)).includes(id));
    for (const id of others) expect(JSON.stringify(identityStatementsOf(template, id))).not.toMatch(/s3:/);
    void iam;
  });
});
