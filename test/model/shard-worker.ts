/**
 * A shard worker (see parallel.ts): runs its histories in its own
 * environment and posts the reports back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelEnv, ModelEnvOptions } from './env';
import { SynthesizedStacks } from './policies';
import { runShard, ShardSpec } from './runner';

async function main(): Promise<void> {
  const { spec, env: options, stacks, wrappingKeyCacheDir } = workerData as {
    spec: ShardSpec; env: ModelEnvOptions; stacks: SynthesizedStacks; wrappingKeyCacheDir: string;
  };
  const env = await ModelEnv.start(options, { stacks, wrappingKeyCacheDir });
  try {
    parentPort!.postMessage({ result: await runShard(env, spec) });
  } finally {
    await env.stop();
  }
}

main().catch((e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) }));
