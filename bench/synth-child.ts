/**
 * One synth in a fresh process, as `cdk synth` runs an app:
 * `node -r ts-node/register/transpile-only bench/synth-child.ts <rotating|plain> <count>`.
 * Prints `{ "totalMs": ..., "resources": ... }`.
 */
import { synthesize, StackKind } from './synth';

const [kind, count] = process.argv.slice(2);
if ((kind !== 'rotating' && kind !== 'plain') || !(Number(count) >= 1)) {
  console.error('usage: synth-child.ts <rotating|plain> <count>');
  process.exit(2);
}
const sample = synthesize(kind as StackKind, Number(count));
console.log(JSON.stringify({ totalMs: sample.totalMs, resources: sample.resources }));
