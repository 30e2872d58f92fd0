import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KVS_STORE, type KvsStore } from '../lib/index.js';
import { AppModule } from './app.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { startTelemetry } from './metrics/sample.telemetry.js';
import { sampleBanner } from './sample.banner.js';
import { loadSampleConfig } from './sample.config.js';

async function bootstrap(): Promise<void> {
  const { config, warnings } = loadSampleConfig();
  // readme: otel-main
  const exporter = startTelemetry(); // before the app, so that KvsModule sees the SDK
  const app = await NestFactory.create({
    module: class Sample {},
    imports: [AppModule.forRoot(config), MetricsModule.forRoot(exporter)],
  });
  // readme: end
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const logger = new Logger('sample');
  for (const warning of warnings) logger.warn(warning);
  logger.log(sampleBanner(config, app.get<KvsStore>(KVS_STORE)));
}

bootstrap().catch((err: unknown) => {
  new Logger('sample').error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
