import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { KvsInvalidArgumentError } from '../store/index.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.constants.js';
import { RateLimitCoreModule } from './rate-limit.core.module.js';
import type { RateLimitModuleOptions } from './rate-limit.options.js';

/** Applications (by their module container) that registered RateLimitModule already. */
const claimed = new WeakSet<object>();

/** Token of the provider that fails startup when an application registers the settings twice. */
const RATE_LIMIT_CLAIM = 'KVS_RATE_LIMIT_CLAIM';

/**
 * forRoot/forRootAsync of a global module that only provides the settings (RATE_LIMIT_OPTIONS);
 * RateLimiter and RateLimitGuard are the core module it imports (as KvsModule does).
 */
export const { ConfigurableModuleClass: RateLimitConfigurableModule } =
  new ConfigurableModuleBuilder<RateLimitModuleOptions>({
    optionsInjectionToken: RATE_LIMIT_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createRateLimitOptions')
    .setExtras({ isGlobal: true }, (definition) => ({
      ...definition,
      global: true,
      imports: [...(definition.imports ?? []), RateLimitCoreModule],
      providers: [
        ...(definition.providers ?? []),
        {
          provide: RATE_LIMIT_CLAIM,
          useFactory: (container: ModulesContainer): true => {
            if (claimed.has(container)) {
              throw new KvsInvalidArgumentError(
                'RateLimitModule is registered twice in this application. Call RateLimitModule.forRoot() ' +
                  'once (it is global); give routes their own limits with @RateLimit().',
              );
            }
            claimed.add(container);
            return true;
          },
          inject: [ModulesContainer],
        },
      ],
      exports: [RATE_LIMIT_OPTIONS],
    }))
    .build();
