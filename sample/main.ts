import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule, storeOptions } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env['PORT'] ?? 3000);
  await app.listen(port);
  const options = storeOptions();
  const backend =
    options.type === 'redis' ? 'Redis (KVS_URL)' : 'memory (set KVS_URL=redis://... for Redis)';
  const base = `http://localhost:${port}`;
  new Logger('sample').log(
    [
      `nestjs-kvs sample on ${base}, store: ${backend}`,
      'Try:',
      `  curl -X PUT ${base}/keys/greeting -H 'content-type: application/json' -d '{"value":"hello","ttlMs":60000}'`,
      `  curl ${base}/keys/greeting`,
      `  curl '${base}/keys?prefix=gr'`,
      `  curl -X DELETE ${base}/keys/greeting`,
    ].join('\n'),
  );
}

void bootstrap();
