/** The owner's key behind an alias before a stack adopts it, for the adoption tests. */
import { CreateAliasCommand, CreateKeyCommand, GetParametersForImportCommand, ImportKeyMaterialCommand, KMSClient } from '@aws-sdk/client-kms';
import { groupProps } from './fixtures';
import { wrapKeyMaterial } from '../kms-simulator';

export const ALIAS = 'alias/telemetry';

/** A key policy as its owner wrote it: the account delegation and a statement of another team's. */
export function ownersPolicy(account: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Id: 'owners-policy',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'AnalyticsMayDecrypt', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:role/analytics` }, Action: ['kms:Decrypt'], Resource: '*' },
    ],
  };
}

/** The owner's key behind the alias, as it existed before the stack: AWS_KMS or EXTERNAL (with material imported). */
/** `settle`: lets the simulator's clock pass KMS's new-key lag (with its eventual consistency on). */
export async function ownersKey(kms: KMSClient, origin: 'AWS_KMS' | 'EXTERNAL', account: string, aliasName = ALIAS, settle = () => {}): Promise<string> {
  const created = await kms.send(new CreateKeyCommand({
    Origin: origin, Description: 'the owner\'s key', Policy: JSON.stringify(ownersPolicy(account)), Tags: [{ TagKey: 'owner', TagValue: 'payments' }],
  }));
  const keyId = created.KeyMetadata!.KeyId!;
  settle();
  if (origin === 'EXTERNAL') {
    const p = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
    const material = Buffer.alloc(32, 7);
    await kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: p.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(p.PublicKey!, 'RSAES_OAEP_SHA_256', material),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }));
    settle();
  }
  await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId }));
  return keyId;
}

export function adoptProps(fence: boolean, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return groupProps({ Adopt: JSON.stringify({ fence }), ...overrides });
}

