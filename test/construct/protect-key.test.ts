/**
 * protectKey: the Deny of every KMS action to both function roles in another
 * key's policy (its effect under the simulator is in
 * test/rotation/protect-key.test.ts); keys it cannot protect are refused at
 * synth with what to do instead.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BASE_PROPS, stackWithKey } from './helpers';
import { functionRoles, resolveIntrinsics, roleArnOf } from './synthesized-policies';
import { MaterialEscrow, RotatingImportedKey } from '../../lib';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();

function keyPolicyOf(template: Record<string, any>, logicalId: string): any {
  return resolveIntrinsics(template, template.Resources[logicalId].Properties.KeyPolicy);
}

describe('protectKey', () => {
  test('adds one Deny of kms:* to both function roles, beside the key\'s own statements; a second group of the stack adds nothing', () => {
    const { stack, key, template } = stackWithKey();
    const payments = new kms.Key(stack, 'PaymentsKey');
    key.protectKey(payments);
    new RotatingImportedKey(stack, 'Second', { ...BASE_PROPS, aliasName: 'alias/second', groupId: 'second-group' }).protectKey(payments);
    const t = template().toJSON();
    const roles = functionRoles(t);
    const policy = keyPolicyOf(t, stack.getLogicalId(payments.node.defaultChild as kms.CfnKey));
    const denies = policy.Statement.filter((s: any) => s.Effect === 'Deny');
    expect(denies).toEqual([{
      Sid: 'DenyRotatingImportedKeyFunctions',
      Effect: 'Deny',
      Principal: { AWS: [roleArnOf(roles.lifecycle), roleArnOf(roles.rotation)] },
      Action: 'kms:*',
      Resource: '*',
    }]);
    expect(policy.Statement.filter((s: any) => s.Effect === 'Allow').length).toBeGreaterThan(0);
  });

  test('a key imported by ARN is refused, with the statement to add by hand', () => {
    const { stack, key } = stackWithKey();
    const imported = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(() => key.protectKey(imported)).toThrow(/protectKey: TestStack\/Imported is not defined in this app.*Sid "DenyRotatingImportedKeyFunctions" that denies "kms:\*" on "\*" to the roles of lifecycleFunction and rotationFunction/);
  });

  test('the key of this stack\'s escrow bucket is refused: the functions write and read its objects', () => {
    const { stack, key } = stackWithKey((s) => {
      const bucketKey = new kms.Key(s, 'EscrowBucketKey');
      const bucket = new s3.Bucket(s, 'Escrow', { encryption: s3.BucketEncryption.KMS, encryptionKey: bucketKey, versioned: true });
      return { escrow: MaterialEscrow.toBucket(bucket, { publicKeyPem: PEM }) };
    });
    const bucketKey = stack.node.findChild('EscrowBucketKey') as kms.Key;
    expect(() => key.protectKey(bucketKey)).toThrow(/protectKey: .*EscrowBucketKey encrypts an escrow bucket of this stack/);
  });

  test('so is a key group whose escrow bucket is encrypted by a key protected earlier', () => {
    const { stack, key } = stackWithKey();
    const bucketKey = new kms.Key(stack, 'EscrowBucketKey');
    key.protectKey(bucketKey);
    const bucket = new s3.Bucket(stack, 'Escrow', { encryption: s3.BucketEncryption.KMS, encryptionKey: bucketKey, versioned: true });
    expect(() => new RotatingImportedKey(stack, 'Escrowing', {
      ...BASE_PROPS, aliasName: 'alias/escrowing', groupId: 'escrowing', escrow: MaterialEscrow.toBucket(bucket, { publicKeyPem: PEM }),
    })).toThrow(/escrow: the key of the escrow bucket of TestStack\/Escrowing was given to protectKey/);
  });
});
