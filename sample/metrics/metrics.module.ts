import { Controller, Get, Header, Inject, Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { KvsCacheHeaderInterceptor } from '../../lib/index.js';

// readme: otel-metrics-route
const EXPORTER = 'sample:prometheus-exporter';
const serializer = new PrometheusSerializer();

/** GET /metrics: every metric of the app's MeterProvider, nestjs-kvs's included, for Prometheus. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(EXPORTER) private readonly exporter: PrometheusExporter) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const { resourceMetrics } = await this.exporter.collect();
    return serializer.serialize(resourceMetrics);
  }
}
// readme: end

/** /metrics on `exporter`, and the X-Cache header on every @Cacheable route. */
@Module({})
export class MetricsModule {
  static forRoot(exporter: PrometheusExporter): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [
        { provide: EXPORTER, useValue: exporter },
        // readme: otel-x-cache
        { provide: APP_INTERCEPTOR, useClass: KvsCacheHeaderInterceptor }, // X-Cache: HIT | STALE | MISS
        // readme: end
      ],
    };
  }
}
