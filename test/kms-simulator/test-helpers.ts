/**
 * Helpers shared by the simulator's own tests.
 */
import { randomBytes } from 'crypto';
import {
  CreateKeyCommand,
  ExpirationModelType,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ImportKeyMaterialCommandOutput,
  ImportType,
  KMSClient,
} from '@aws-sdk/client-kms';
import { MS_PER_DAY } from './clock';
import { KmsSimulator, startKmsSimulator } from './index';
import { wrapKeyMaterial } from './wrap-key-material';

export interface ImportOptions {
  readonly algorithm?: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';
  readonly spec?: 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
  /** Default: 30 days after `now` with KEY_MATERIAL_EXPIRES. */
  readonly validTo?: Date;
  readonly expirationModel?: ExpirationModelType;
  readonly importType?: ImportType;
  readonly keyMaterialId?: string;
}

/** One simulator for a test file: started before its tests, stopped after them. */
export function useSimulator(): { sim: KmsSimulator; kms: KMSClient } {
  const fixture = {} as { sim: KmsSimulator; kms: KMSClient };
  beforeAll(async () => {
    fixture.sim = await startKmsSimulator();
    fixture.kms = fixture.sim.client({ maxAttempts: 1 });
  });
  afterAll(async () => fixture.sim.stop());
  return fixture;
}

/** Creates a key with default settings and returns its key id. */
export async function createKey(kms: KMSClient): Promise<string> {
  return (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
}

/** Creates a key with Origin EXTERNAL and returns its key id. */
export async function createExternalKey(kms: KMSClient, description = 'external'): Promise<string> {
  const out = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: description }));
  return out.KeyMetadata!.KeyId!;
}

/** Runs GetParametersForImport + local wrapping + ImportKeyMaterial. */
export async function importMaterial(
  kms: KMSClient,
  keyId: string,
  material: Buffer,
  now: Date,
  opts: ImportOptions = {},
): Promise<ImportKeyMaterialCommandOutput> {
  const algorithm = opts.algorithm ?? 'RSAES_OAEP_SHA_256';
  const params = await kms.send(
    new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: opts.spec ?? 'RSA_2048' }),
  );
  const expirationModel = opts.expirationModel ?? 'KEY_MATERIAL_EXPIRES';
  return kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(params.PublicKey!, algorithm, material),
      ExpirationModel: expirationModel,
      ValidTo: expirationModel === 'KEY_MATERIAL_EXPIRES' ? opts.validTo ?? new Date(now.getTime() + 30 * MS_PER_DAY) : undefined,
      ImportType: opts.importType,
      KeyMaterialId: opts.keyMaterialId,
    }),
  );
}

export function newMaterial(): Buffer {
  return randomBytes(32);
}
