// readme: otel-sdk
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * The app's own OpenTelemetry SDK, started before the Nest app is created (KvsModule picks up the
 * meter provider when it creates the store). Metrics are read on demand at GET /metrics.
 */
export function startTelemetry(): PrometheusExporter {
  const exporter = new PrometheusExporter({ preventServerStart: true }); // no server of its own
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  return exporter;
}
// readme: end
