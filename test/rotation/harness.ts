/**
 * Runs the rotation function against the KMS simulator through the real SDK
 * clients, with the simulator's clock, and captures every log line.
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { Log } from '../../lambda/rotation/context';
import { createHandler, HandlerResult } from '../../lambda/rotation/handler';
import { TAG } from '../../lambda/rotation/tags';
import { KmsSimulator, startKmsSimulator } from '../kms-simulator';
import { cfnEvent, groupProps } from './fixtures';

export const CREDENTIALS = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };
export const REGION = 'us-east-1';

export interface LogLine { level: 'info' | 'warn' | 'error'; message: string; attributes: Record<string, unknown> }

export class CapturingLog implements Log {
  readonly lines: LogLine[] = [];
  info(message: string, attributes: Record<string, unknown> = {}) { this.lines.push({ level: 'info', message, attributes }); }
  warn(message: string, attributes: Record<string, unknown> = {}) { this.lines.push({ level: 'warn', message, attributes }); }
  error(message: string, attributes: Record<string, unknown> = {}) { this.lines.push({ level: 'error', message, attributes }); }
  text(): string { return this.lines.map((l) => JSON.stringify(l)).join('\n'); }
}

export interface HarnessOptions {
  /** SDK attempts per call; 1 makes an injected fault final (a function that dies). */
  readonly maxAttempts?: number;
  readonly leaseMs?: number;
}

export type Handler = (event: unknown) => Promise<HandlerResult>;

export class Harness {
  static async start(): Promise<Harness> {
    return new Harness(await startKmsSimulator({ startTime: new Date('2026-01-01T03:00:00Z') }));
  }

  readonly log = new CapturingLog();
  /** A client for the test's own reads and data-plane calls (not counted as the function's). */
  readonly kms: KMSClient;

  private constructor(readonly sim: KmsSimulator) {
    this.kms = sim.client({ maxAttempts: 1 });
  }

  handler(options: HarnessOptions = {}): Handler {
    const kms = this.sim.client({ maxAttempts: options.maxAttempts ?? 3, retryMode: 'standard' });
    const tagging = this.sim.taggingClient({ maxAttempts: options.maxAttempts ?? 3 });
    return createHandler({ kms, tagging, now: () => this.sim.clock.now(), log: this.log, leaseMs: options.leaseMs, sleep: fastSleep });
  }

  async deploy(handler: Handler, overrides: Record<string, unknown> = {}): Promise<HandlerResult> {
    return handler(cfnEvent('Create', groupProps(overrides)));
  }

  async encrypt(aliasName: string, plaintext: string): Promise<Uint8Array> {
    const r = await this.kms.send(new EncryptCommand({ KeyId: aliasName, Plaintext: Buffer.from(plaintext) }));
    return r.CiphertextBlob!;
  }

  async decrypt(ciphertext: Uint8Array): Promise<string> {
    const r = await this.kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
    return Buffer.from(r.Plaintext!).toString();
  }

  /** Keys of a group (test-side scan of the simulator's state, which the function never does). */
  groupKeys(groupId: string) {
    return this.sim.state.keys()
      .filter((k) => k.tags[TAG.group] === groupId)
      .sort((a, b) => Number(a.tags[TAG.generation]) - Number(b.tags[TAG.generation]));
  }

  aliasTarget(aliasName: string): string | undefined {
    return this.sim.state.aliases().find((a) => a.AliasName === aliasName)?.TargetKeyId;
  }

  async stop(): Promise<void> {
    this.kms.destroy();
    await this.sim.stop();
  }
}

/** Real waits (a stack update waiting for a live rotation) kept short: the simulated clock does not move meanwhile. */
async function fastSleep(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
