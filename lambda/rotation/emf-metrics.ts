/**
 * Emits a run's metrics for its key group with Powertools for AWS Lambda
 * Metrics: one CloudWatch embedded-metric-format line on stdout, which
 * CloudWatch Logs turns into metrics (no API call).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GROUP_DIMENSION, METRIC_NAMESPACE, MetricPoint } from './telemetry';

export function defaultMetrics(): Metrics {
  return new Metrics({ namespace: METRIC_NAMESPACE });
}

export function emitGroupMetrics(metrics: Metrics, groupId: string, aliasName: string, points: MetricPoint[]): void {
  // Exactly one dimension (no `service`), so the construct's alarms match on the group alone.
  metrics.clearDefaultDimensions();
  metrics.addDimension(GROUP_DIMENSION, groupId);
  metrics.addMetadata('alias', aliasName);
  for (const p of points) {
    metrics.addMetric(p.name, p.unit === 'Count' ? MetricUnit.Count : MetricUnit.NoUnit, p.value);
  }
  metrics.publishStoredMetrics();
}
