import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import {
  KvsCacheModule,
  KvsExceptionFilter,
  KvsModule,
  RateLimitGuard,
  RateLimitModule,
} from '../lib/index.js';
import { AuthModule } from './auth/auth.module.js';
import { FlagsModule } from './flags/flags.module.js';
import { KeysModule } from './keys/keys.module.js';
import { LimitedModule } from './limited/limited.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { ProductsModule } from './products/products.module.js';
import type { SampleConfig } from './sample.config.js';

// readme: recipe-app-module
/** The sample: one store, and one feature module per use of it. */
@Module({})
export class AppModule {
  /** The sample on `config`, which `loadSampleConfig()` reads from the environment. */
  static forRoot(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        KvsModule.forRoot({ ...config.store, isGlobal: true }), // memory, Redis or a Cluster
        KvsCacheModule.forRoot({ ttl: 60_000 }),
        RateLimitModule.forRoot({ headers: 'draft-7' }), // RateLimit: limit=5, remaining=4, reset=<s>
        KeysModule,
        ProductsModule.forRoot({ delayMs: config.catalogDelayMs }),
        LimitedModule,
        AuthModule.forRoot({ secret: config.sessionSecret }),
        FlagsModule.forRoot({ refreshMs: config.flagsRefreshMs }),
        OAuthModule.forRoot({ publicUrl: config.publicUrl }),
      ],
      providers: [
        // Routes with @RateLimit() are limited; the others are not counted.
        { provide: APP_GUARD, useClass: RateLimitGuard },
        // A store outage in any route: 503 with Retry-After, not 500.
        { provide: APP_FILTER, useClass: KvsExceptionFilter },
      ],
    };
  }
}
// readme: end
