/**
 * Wall time of a whole Node process, from spawn to exit.
 */
import { spawn } from 'node:child_process';

export interface TimedProcess {
  /** Milliseconds from spawn to exit. */
  readonly ms: number;
  readonly stdout: string;
}

/**
 * Runs `node <args>` and resolves with its wall time; a non-zero exit is a
 * measurement error (the process did not do the work being timed).
 */
export function timeNodeProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<TimedProcess> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`measurement error: node ${args.join(' ')} exited with ${code ?? signal}`));
      } else {
        resolve({ ms, stdout: Buffer.concat(chunks).toString('utf8') });
      }
    });
  });
}
