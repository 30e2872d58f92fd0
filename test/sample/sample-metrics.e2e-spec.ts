/**
 * The sample's observability, as `npm run start:sample` wires it: its own OpenTelemetry SDK
 * (sample/metrics/sample.telemetry.ts) started before the app, GET /metrics in Prometheus text
 * format, and X-Cache on the cached product route. On memory and on a real Redis.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import request from 'supertest';
import { configureKvsTelemetry } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { MetricsModule } from '../../sample/metrics/metrics.module.js';
import { startTelemetry } from '../../sample/metrics/sample.telemetry.js';
import { useRedisServer } from '../support/backends.js';
import { sampleConfig } from './sample.fixtures.js';

const redis = useRedisServer();
let app: INestApplication | undefined;
let exporter: PrometheusExporter | undefined;
afterEach(async () => {
  await app?.close();
  await exporter?.shutdown();
  metrics.disable();
  configureKvsTelemetry({ storeDurations: false }); // the default, which startTelemetry() changes
  app = exporter = undefined;
});

describe.each(redis.moduleOptions({ keyPrefix: 'sample-metrics:' }))('on %s', (backend, store) => {
  it('serves kvs metrics at /metrics and X-Cache on the product route', async () => {
    exporter = startTelemetry();
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(sampleConfig(store())), MetricsModule.forRoot(exporter)],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    const http = () => request(app!.getHttpServer());
    if (backend === 'redis') await redis.flush();

    expect((await http().get('/products/1').expect(200)).headers['x-cache']).toBe('MISS');
    expect((await http().get('/products/1').expect(200)).headers['x-cache']).toBe('HIT');
    await http().get('/limited').expect(200);

    const scrape = await http().get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
    const text = scrape.text;
    expect(text).toContain('# HELP kvs_cache_lookups_total Cache lookups, by result');
    expect(text).toContain('# TYPE kvs_cache_lookups_total counter');
    // The exporter adds an otel_scope_name label to every point.
    const point = (name: string, labels: string, value: string) =>
      expect(text).toMatch(
        new RegExp(`^${name}\\{${labels},otel_scope_name="nestjs-kvs"\\} ${value}$`, 'm'),
      );
    point('kvs_cache_lookups_total', 'kvs_cache_namespace="cache",kvs_cache_result="miss"', '1');
    point('kvs_cache_lookups_total', 'kvs_cache_namespace="cache",kvs_cache_result="hit"', '1');
    point('kvs_cache_loads_total', 'kvs_cache_namespace="cache"', '1');
    point(
      'kvs_ratelimit_decisions_total',
      'kvs_ratelimit_outcome="allowed",kvs_ratelimit_policy="5-in-10s"',
      '1',
    );
    if (backend === 'redis') {
      expect(text).toContain('# TYPE kvs_store_operation_duration histogram');
      expect(text).toContain('# UNIT kvs_store_operation_duration s');
      // The miss's write: one SET (the reads are MGETs of the entry and its tags' versions).
      point(
        'kvs_store_operation_duration_count',
        'kvs_backend="redis",kvs_store="default",kvs_operation="set"',
        '1',
      );
    } else {
      expect(text).not.toContain('kvs_store_operation_duration');
    }
  });
});
