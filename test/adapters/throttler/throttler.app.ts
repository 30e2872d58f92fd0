/**
 * The throttled app of throttler.peer.ts (the README's example): ThrottlerGuard on every route,
 * its storage on nestjs-kvs.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { KVS_STORE, KvsModule, type KvsModuleOptions, type KvsStore } from '../../../lib/index.js';
import { KvsThrottlerStorage } from '../../../lib/adapters/throttler/index.js';

@Controller()
class ApiController {
  @Get('ping')
  ping() {
    return 'pong';
  }
}

/** A Nest app with ThrottlerGuard on KvsThrottlerStorage over `backend`, listening on a free port. */
export async function bootThrottledApp(backend: KvsModuleOptions): Promise<INestApplication> {
  // readme: throttler-module
  @Module({
    imports: [
      KvsModule.forRoot({ ...backend, isGlobal: true }), // backend: e.g. { type: 'redis', url }
      ThrottlerModule.forRootAsync({
        inject: [KVS_STORE],
        useFactory: (store: KvsStore) => ({
          throttlers: [{ ttl: 60_000, limit: 20 }], // 20 requests a minute
          storage: new KvsThrottlerStorage(store), // the one line that changes
        }),
      }),
    ],
    controllers: [ApiController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  })
  class AppModule {}
  // readme: end
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}
