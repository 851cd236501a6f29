/**
 * Drives the shipped bundle in a child Node process (see bundle-driver.js).
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CapturingLog, LogLine } from './harness';

export const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'rotation-function', 'index.js');

export class BundleProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(line: string) => void> = [];
  private requests = 0;
  /** Every metrics (EMF) line the bundle wrote to stdout. */
  readonly emf: string[] = [];

  constructor(env: Record<string, string>, private readonly log: CapturingLog, nodeBinary = process.execPath) {
    this.child = spawn(nodeBinary, [path.join(__dirname, 'bundle-driver.js'), BUNDLE], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  async invoke(entry: 'lifecycle' | 'rotation', event: unknown, now: Date): Promise<unknown> {
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify({ now: now.toISOString(), entry, event, requestId: `bundle-${++this.requests}` }) + '\n');
    });
    const answer = JSON.parse(line) as { result?: unknown; error?: { name: string; message: string }; logs: LogLine[]; emf: string[] };
    this.log.lines.push(...answer.logs);
    this.emf.push(...answer.emf);
    if (answer.error) throw Object.assign(new Error(answer.error.message), { name: answer.error.name });
    return answer.result;
  }

  stop(): void {
    this.child.kill();
  }
}
