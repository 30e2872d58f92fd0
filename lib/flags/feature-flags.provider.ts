import type { Provider } from '@nestjs/common';
import { getKvsToken } from '../module/index.js';
import type { KvsStore } from '../store/index.js';
import { FeatureFlags, type FeatureFlagsOptions, type FlagValue } from './feature-flags.js';

/**
 * A provider of {@link FeatureFlags} on the store KvsModule registered (`store`: its name).
 * Inject it as `FeatureFlags<YourFlags>`.
 */
export function provideFeatureFlags<F extends Record<string, FlagValue>>(
  options: FeatureFlagsOptions<F> & { store?: string },
): Provider {
  return {
    provide: FeatureFlags,
    inject: [getKvsToken(options.store)],
    useFactory: (store: KvsStore) => new FeatureFlags(store, options),
  };
}
