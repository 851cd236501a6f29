/**
 * The demo's closing proof, through the real SDK against the simulator with
 * authorization on: every reading the application role encrypted decrypts
 * (with the same role), the current generation accepts encryption, and every
 * retired generation refuses it, to the application role and even to an
 * administrator whom IAM allows kms:* (only the key policy's fence,
 * `RotationRetiredDecryptOnly`, stops that one).
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { ExampleDeployment } from './example-deployment';
import type { Reading } from './run';
import { renderText, Row } from '../bench/table';
import { Harness } from '../test/rotation/harness';

export interface ProofInput {
  readonly h: Harness;
  readonly d: ExampleDeployment;
  readonly readings: readonly Reading[];
  readonly appClient: KMSClient;
  readonly out: (line?: string) => void;
}

const ACCEPTED = 'accepted';
/** KMS's wording (AccessDeniedException) when the key policy's Deny refused the request. */
const KEY_POLICY_DENY = /with an explicit deny in a resource-based policy/;
export const REFUSED_BY_FENCE = 'refused: key policy Deny';

/** `accepted`, or why it was refused. */
async function tryEncrypt(client: KMSClient, keyId: string): Promise<string> {
  try {
    await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('probe') }));
    return ACCEPTED;
  } catch (e) {
    const error = e as Error;
    if (error.name !== 'AccessDeniedException') return `failed: ${error.name}`;
    return KEY_POLICY_DENY.test(error.message) ? REFUSED_BY_FENCE : 'refused: no policy allows';
  }
}

async function decrypts(client: KMSClient, r: Reading): Promise<boolean> {
  try {
    const answer = await client.send(new DecryptCommand({ CiphertextBlob: r.ciphertext }));
    return Buffer.from(answer.Plaintext!).toString() === r.plaintext;
  } catch {
    return false;
  }
}

/** Prints the proof table; returns the failed checks. */
export async function proveGenerations({ h, d, readings, appClient, out }: ProofInput): Promise<string[]> {
  const failures: string[] = [];
  // The last fence reaches authorization a propagation window after it was written.
  h.sim.clock.advance(h.sim.authorization.propagationMs + 60_000);
  const rec = await h.group(d.groupId);
  const rows: Row[] = [];
  for (const g of rec.generations) {
    const mine = readings.filter((r) => r.keyArn === g.keyArn);
    let ok = 0;
    for (const r of mine) if (await decrypts(appClient, r)) ok++;
    const byApp = await tryEncrypt(appClient, g.keyArn);
    const byAdmin = await tryEncrypt(h.kms, g.keyArn);
    rows.push([String(g.n), g.keyId, g.stage, `${ok} of ${mine.length}`, byApp, byAdmin]);
    if (mine.length === 0) failures.push(`no reading was encrypted under generation ${g.n}`);
    if (ok !== mine.length) failures.push(`generation ${g.n}: ${mine.length - ok} of ${mine.length} readings did not decrypt`);
    const current = g.stage === 'current';
    if (current && (byApp !== ACCEPTED || byAdmin !== ACCEPTED)) failures.push(`the current generation ${g.n} refused encryption`);
    if (!current && (byApp !== REFUSED_BY_FENCE || byAdmin !== REFUSED_BY_FENCE)) {
      failures.push(`retired generation ${g.n} did not refuse encryption by its key policy (application role: ${byApp}, admin: ${byAdmin})`);
    }
  }
  const unknown = readings.filter((r) => r.keyArn && !rec.generations.some((g) => g.keyArn === r.keyArn));
  if (unknown.length) failures.push(`${unknown.length} readings were encrypted under a key that is no generation of the group`);
  out(`Proof at ${h.sim.clock.now().toISOString().slice(0, 16).replace('T', ' ')}: the application role decrypts every reading it encrypted, and encrypts`);
  out('with each generation by key ARN; "admin" is a principal IAM allows kms:* (the key policy\'s fence stops it).');
  out(renderText(['gen', 'key id', 'stage', 'readings decrypted', 'application role encrypts', 'admin encrypts'], rows));
  out();
  return failures;
}
