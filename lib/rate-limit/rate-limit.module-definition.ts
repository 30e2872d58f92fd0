import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RATE_LIMIT_OPTIONS } from './rate-limit.constants.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import type { RateLimitModuleOptions } from './rate-limit.options.js';
import { RateLimiter } from './rate-limiter.service.js';

/** forRoot/forRootAsync, global by default so `@UseGuards(RateLimitGuard)` works in any module. */
export const { ConfigurableModuleClass: RateLimitConfigurableModule } =
  new ConfigurableModuleBuilder<RateLimitModuleOptions>({
    optionsInjectionToken: RATE_LIMIT_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createRateLimitOptions')
    .setExtras({ isGlobal: true }, (definition, { isGlobal }) => ({
      ...definition,
      global: isGlobal,
      providers: [...(definition.providers ?? []), RateLimiter, RateLimitGuard],
      exports: [RateLimiter, RateLimitGuard, RATE_LIMIT_OPTIONS],
    }))
    .build();
