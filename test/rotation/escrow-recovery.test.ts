/**
 * docs/escrow-recovery.md, run: every OpenSSL block of the page (each marked
 * `<!-- step: name -->`) runs in a shell, in a temporary directory, on an
 * escrow object a real deploy wrote through the simulators, with the
 * reference escrow private key. The unwrapped material is what KMS imported;
 * after the key's material is deleted (PendingImport), the page's re-wrap and
 * an EXISTING_KEY_MATERIAL import with the page's parameters (the `aws` lines,
 * made here through the SDK: no aws CLI on CI) bring it back, and it decrypts
 * a ciphertext made before.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeleteImportedKeyMaterialCommand, GetParametersForImportCommand, ImportKeyMaterialCommand } from '@aws-sdk/client-kms';
import { BUCKET, escrowStack, GROUP, reference } from './escrow-fixtures';
import { cfnEvent } from './fixtures';
import { Harness } from './harness';
import { EscrowWrapping } from '../../lib';
import { S3Sim } from '../kms-simulator/s3';

const DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'escrow-recovery.md'), 'utf8');

/** The shell block after `<!-- step: name -->`. */
function step(name: string): string {
  const m = new RegExp(`<!-- step: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!m) throw new Error(`docs/escrow-recovery.md has no step ${name}`);
  return m[1];
}

function run(dir: string, script: string, env: Record<string, string> = {}): string {
  // No startup files, and no socket on stdin: bash would take a socket for a remote shell and read /etc/bash.bashrc.
  return execFileSync('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', script], {
    cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test('the page\'s aws lines are the calls the test makes through the SDK', () => {
  const aws = DOC.split('\n').filter((l) => l.startsWith('aws '));
  expect(aws.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([
    'aws s3api get-object', 'aws s3api get-object-tagging', 'aws kms get-parameters-for-import', 'aws kms import-key-material',
  ]);
  expect(DOC).toContain('--import-type EXISTING_KEY_MATERIAL --key-material-id "$KEY_MATERIAL_ID"');
  // Every runnable step contains no aws call.
  for (const name of ['read-object', 'unwrap-rsaes-oaep-sha-256', 'unwrap-rsa-aes-key-wrap-sha-256', 'check-material', 'wrap-for-kms', 'clean-up']) {
    expect(step(name)).not.toMatch(/^aws /m);
  }
});

describe.each([EscrowWrapping.RSAES_OAEP_SHA_256, EscrowWrapping.RSA_AES_KEY_WRAP_SHA_256])('recovery of a %s escrow', (wrapping) => {
  test('the OpenSSL procedure unwraps what KMS imported, and re-imports it into its generation after its material was deleted', async () => {
    const stack = escrowStack(wrapping);
    const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    const bucket = await S3Sim.start(stack.principals, () => h.sim.clock.now());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'escrow-recovery-'));
    try {
      bucket.createBucket(BUCKET, { objectLock: { mode: 'COMPLIANCE', days: 30 } });
      const credentials = { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials };
      const f = h.functions({ credentials, s3Endpoint: bucket.endpoint });
      await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
      const g1 = (await h.group(GROUP)).generations[0];
      const before = await h.encrypt('alias/telemetry', 'written before the material was lost');

      // What `aws s3api get-object` / `get-object-tagging` fetch: the exact version the ledger names, and its tag.
      const [object] = bucket.versions(BUCKET);
      expect(object.versionId).toBe(g1.escrow!.versionId);
      fs.writeFileSync(path.join(dir, 'escrow.json'), object.body);
      fs.writeFileSync(path.join(dir, 'escrow-private.pem'), reference.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const keyMaterialId = object.tags['key-material-id'];
      expect(keyMaterialId).toBe(g1.keyMaterialId);

      expect(run(dir, step('read-object'))).toBe(`key ${g1.keyId}, wrapped with ${wrapping}\n`);
      run(dir, step('read-object') + step(`unwrap-${wrapping.toLowerCase().replace(/_/g, '-')}`));
      expect(run(dir, step('check-material'))).toBe('32 bytes of key material\n');
      const material = fs.readFileSync(path.join(dir, 'material.bin'));
      expect(material.equals(h.sim.state.importedMaterials()[0])).toBe(true);

      // The material is lost in KMS: the key goes to PendingImport and cannot decrypt.
      await h.kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: g1.keyId }));
      expect(h.sim.state.key(g1.keyId)).toMatchObject({ state: 'PendingImport' });
      await expect(h.decrypt(before)).rejects.toMatchObject({ name: 'KMSInvalidStateException' });

      // `aws kms get-parameters-for-import ... --output json > params.json`, as the CLI writes it.
      const params = await h.kms.send(new GetParametersForImportCommand({ KeyId: g1.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_4096' }));
      fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({
        KeyId: params.KeyId,
        ImportToken: Buffer.from(params.ImportToken!).toString('base64'),
        PublicKey: Buffer.from(params.PublicKey!).toString('base64'),
        ParametersValidTo: params.ParametersValidTo?.toISOString(),
      }, undefined, 4));
      run(dir, step('wrap-for-kms'));
      // `aws kms import-key-material --import-type EXISTING_KEY_MATERIAL --key-material-id ...` with the page's files.
      await h.kms.send(new ImportKeyMaterialCommand({
        KeyId: g1.keyId,
        ImportType: 'EXISTING_KEY_MATERIAL',
        KeyMaterialId: keyMaterialId,
        EncryptedKeyMaterial: fs.readFileSync(path.join(dir, 'material-for-kms.bin')),
        ImportToken: fs.readFileSync(path.join(dir, 'import-token.bin')),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }));
      expect(await h.decrypt(before)).toBe('written before the material was lost');

      run(dir, step('clean-up'));
      expect(fs.readdirSync(dir).sort()).toEqual(['escrow-private.pem', 'escrow.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await bucket.stop();
      await h.stop();
    }
  });
});
