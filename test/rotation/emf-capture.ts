/**
 * The function's own Metrics (defaultMetrics), with their embedded-metric-format
 * lines written into a list instead of stdout: the same JSON Powertools writes.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { defaultMetrics } from '../../lambda/rotation/emf-metrics';

export function capturingMetrics(lines: string[]): () => Metrics {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return () => Object.assign(defaultMetrics(), { console: new Console({ stdout: sink, stderr: sink }) });
}

/** One EMF line, parsed: its metric values, dimensions and namespace. */
export interface EmfRecord {
  readonly namespace: string;
  readonly dimensions: string[][];
  readonly units: Record<string, string>;
  readonly values: Record<string, unknown>;
}

export function parseEmf(line: string): EmfRecord {
  const o = JSON.parse(line);
  const [directive] = o._aws.CloudWatchMetrics;
  const units = Object.fromEntries(directive.Metrics.map((m: { Name: string; Unit: string }) => [m.Name, m.Unit]));
  return { namespace: directive.Namespace, dimensions: directive.Dimensions, units, values: o };
}
