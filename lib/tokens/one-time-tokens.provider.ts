import type { InjectionToken, Provider } from '@nestjs/common';
import { getKvsToken } from '../module/index.js';
import type { KvsStore } from '../store/index.js';
import { OneTimeTokens, type OneTimeTokensOptions } from './one-time-tokens.js';

/**
 * A provider of {@link OneTimeTokens} on the store KvsModule registered (`store`: its name).
 * Give each kind of token its own `prefix`, and its own `provide` token when an app has several.
 */
export function provideOneTimeTokens<T>(
  options: OneTimeTokensOptions<T> & { store?: string; provide?: InjectionToken } = {},
): Provider {
  return {
    provide: options.provide ?? OneTimeTokens,
    inject: [getKvsToken(options.store)],
    useFactory: (store: KvsStore) => new OneTimeTokens<T>(store, options),
  };
}
