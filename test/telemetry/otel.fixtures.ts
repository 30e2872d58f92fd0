/**
 * An OpenTelemetry SDK for one test, as an app would wire its own: a MeterProvider whose metrics
 * go to the SDK's InMemoryMetricExporter, a tracer provider whose spans go to the
 * InMemorySpanExporter, and the AsyncLocalStorage context manager, all registered globally before
 * the app is created (so KvsModule sees them) and unregistered by `close()`.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export interface TestSdk {
  /** Collects now and returns the metric named `name` (undefined when it has no points). */
  metric(name: string): Promise<MetricData | undefined>;
  /** The points of `name` as `{ attributes, value }` (value: a sum, or a histogram's count). */
  points(name: string): Promise<{ attributes: Record<string, unknown>; value: number }[]>;
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  close(): Promise<void>;
}

export function startTestSdk(): TestSdk {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  const metric = async (name: string): Promise<MetricData | undefined> => {
    exporter.reset();
    await reader.forceFlush();
    const last = exporter.getMetrics().at(-1);
    const all = last?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return all.find((m) => m.descriptor.name === name);
  };
  return {
    metric,
    async points(name) {
      const found = await metric(name);
      return (found?.dataPoints ?? []).map((p) => ({
        attributes: p.attributes,
        value: typeof p.value === 'number' ? p.value : (p.value as { count: number }).count,
      }));
    },
    spans: () => spanExporter.getFinishedSpans(),
    async close() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      metrics.disable();
      trace.disable();
      context.disable();
    },
  };
}
