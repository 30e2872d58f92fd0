// readme: otel-sdk
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { configureKvsTelemetry } from '../../lib/index.js';

/**
 * The app's own OpenTelemetry SDK, started before the Nest app is created (KvsModule picks up the
 * meter provider when it creates the store). Metrics are read on demand at GET /metrics. The
 * sample also times every Redis store operation (`kvs.store.operation.duration`, off by default).
 */
export function startTelemetry(): PrometheusExporter {
  const exporter = new PrometheusExporter({ preventServerStart: true }); // no server of its own
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  configureKvsTelemetry({ storeDurations: true }); // opt in: 1 to 2 µs of CPU per operation
  return exporter;
}
// readme: end
