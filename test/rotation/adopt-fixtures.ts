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


type RequestHandler = { handle(request: any, options?: any): Promise<{ response: any }>; [k: string]: any };

/**
 * A request handler that passes every call to the simulator and rewrites the
 * KeyMetadata of DescribeKey answers about `keyId` with `metadata` (the
 * simulator models only symmetric keys: this is how a test sees what KMS
 * answers for an asymmetric or HMAC key, through the SDK's own parsing).
 */
export function describingKeyAs(base: RequestHandler, keyId: string, metadata: Record<string, unknown>): RequestHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Readable } = require('node:stream') as typeof import('node:stream');
  const handle = async (request: any, options?: any): Promise<{ response: any }> => {
    const out = await base.handle(request, options);
    const op = String(request.headers?.['x-amz-target'] ?? '').split('.').pop();
    if (op !== 'DescribeKey' || Number(out.response?.statusCode) !== 200) return out;
    const chunks: Buffer[] = [];
    for await (const c of out.response.body) chunks.push(Buffer.from(c));
    const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (answer.KeyMetadata?.KeyId === keyId) Object.assign(answer.KeyMetadata, metadata);
    const payload = Buffer.from(JSON.stringify(answer));
    const response = Object.assign(Object.create(Object.getPrototypeOf(out.response)), out.response, {
      headers: { ...out.response.headers, 'content-length': String(payload.length) },
      body: Readable.from([payload]),
    });
    return { response };
  };
  return {
    handle,
    destroy: () => undefined,
    updateHttpClientConfig: (...args: unknown[]) => base.updateHttpClientConfig?.(...args),
    httpHandlerConfigs: () => base.httpHandlerConfigs?.() ?? {},
    metadata: base.metadata,
  };
}
