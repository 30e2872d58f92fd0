import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { getKvsToken } from '../../module/index.js';
import { describeValue } from '../../shared/describe.js';
import { withTimeout } from '../../shared/timeout.js';
import { KvsInvalidArgumentError, type KvsStore } from '../../store/index.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { toInvalid } from '../../store/kvs.errors.js';

/** Options of {@link KvsHealthIndicator.isHealthy}. */
export interface KvsHealthCheckOptions {
  /** Ms the store has to answer a ping before it is reported down. Default 1000. */
  timeout?: number;
  /**
   * Which store: the `name` it was registered under with KvsModule, or a store instance.
   * Default: the default store (`KVS_STORE`).
   */
  store?: string | KvsStore;
}

/** Option names of KvsHealthIndicator.isHealthy, checked at runtime. */
const CHECK_OPTIONS: OptionNames<KvsHealthCheckOptions> = { timeout: true, store: true };

/**
 * A @nestjs/terminus health indicator for nestjs-kvs stores: pings the store and reports it `up`
 * when it answers within the timeout, `down` (with the reason) otherwise. Add it to the providers
 * of the module that imports `TerminusModule`.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.kvs.isHealthy('kvs', { timeout: 500 })]); }
 * ```
 */
@Injectable()
export class KvsHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Pings the store; `{ [key]: { status: 'up' | 'down', responseTime, message? } }`. */
  async isHealthy<const Key extends string>(
    key: Key,
    options: KvsHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    assertKnownKeys('the KvsHealthIndicator.isHealthy options', options, CHECK_OPTIONS, toInvalid);
    const { timeout = 1000 } = options;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new KvsInvalidArgumentError(
        `Invalid KvsHealthIndicator timeout: expected milliseconds > 0 (e.g. 1000), got ${describeValue(timeout)}.`,
      );
    }
    const store = this.#store(options.store);
    const indicator = this.indicators.check(key);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      await withTimeout(
        store.ping(),
        timeout,
        () => new Error(`no answer within ${timeout} ms (timeout)`),
      );
      return indicator.up({ responseTime: elapsed() });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return indicator.down({ message, responseTime: elapsed() });
    }
  }

  #store(store: string | KvsStore | undefined): KvsStore {
    if (typeof store === 'object' && store !== null) return store;
    const token = getKvsToken(store);
    try {
      return this.moduleRef.get<KvsStore>(token, { strict: false });
    } catch (err) {
      throw new KvsInvalidArgumentError(
        `KvsHealthIndicator found no store registered as ${token}. Register it with KvsModule.forRoot(${store === undefined ? '' : `{ name: '${store}', ... }`}) in this application, or pass the store itself.`,
        { cause: err },
      );
    }
  }
}
