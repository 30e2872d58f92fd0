import { Logger } from '@nestjs/common';
import { describeValue } from '../shared/describe.js';
import { warnShortDuration } from '../shared/duration.js';
import { KvsInvalidArgumentError, MAX_TTL_MS } from '../store/index.js';
import { taggedJsonCodec } from './entry/cache.codec.js';
import {
  checkFlag,
  checkFunction,
  checkMs,
  checkName,
  checkTimeout,
  checkTtl,
} from './cache.checks.js';
import { assertKeys, MODULE_KEYS } from './cache.option-names.js';
import type { CacheSettings, KvsCacheModuleOptions } from './cache.options.js';
import { resolveLocalSettings } from './local/local.options.js';
import { planGrace, resolveGraceSettings } from './grace/grace.options.js';

/** The module's options (`KvsCacheModule.forRoot()`), checked and with every default filled in. */

const MODULE = 'KvsCacheModule';
const logger = new Logger('KvsCache');

/** Checks the module's options and fills in the defaults; durations become milliseconds. */
export function resolveCacheSettings(options: unknown): CacheSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} options: expected an object such as { ttl: '1m' }, got ${describeValue(options)}.`,
    );
  }
  assertKeys(`the ${MODULE} options`, options, MODULE_KEYS);
  const o = options as KvsCacheModuleOptions;
  const codec = o.codec ?? taggedJsonCodec;
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} option codec: expected { encode(value): Uint8Array, decode(bytes): value }, such as jsonCodec.`,
    );
  }
  if (o.logger !== undefined && typeof o.logger.warn !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} option logger: expected an object with warn(message), such as new Logger('Cache').`,
    );
  }
  const lockTtl = checkTtl(MODULE, 'lockTtl', o.lockTtl, 1) ?? 10_000;
  const settings: CacheSettings = {
    store: checkName(MODULE, 'store', o.store),
    namespace: checkName(MODULE, 'namespace', o.namespace) ?? 'cache',
    ttl: checkTtl(MODULE, 'ttl', o.ttl) ?? 60_000,
    staleTtl: checkTtl(MODULE, 'staleTtl', o.staleTtl) ?? 0,
    timeout: checkTimeout(MODULE, o.timeout) ?? 150,
    cacheNull: checkFlag(MODULE, 'cacheNull', o.cacheNull) ?? true,
    codec,
    lock: checkFlag(MODULE, 'lock', o.lock) ?? false,
    lockTtl,
    lockWait: checkMs(MODULE, 'lockWait', o.lockWait) ?? lockTtl,
    logInterval: checkMs(MODULE, 'logInterval', o.logInterval) ?? 10_000,
    logger: o.logger,
    clock: checkFunction(MODULE, 'clock', o.clock) ?? Date.now,
    local: resolveLocalSettings(MODULE, o.local),
    grace: resolveGraceSettings(MODULE, o),
  };
  assertStaleTtl(MODULE, settings.ttl, settings.staleTtl);
  planGrace(MODULE, settings.grace, undefined, settings.ttl, settings.staleTtl);
  if (settings.lock && settings.lockWait === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} options: lock: true with lockWait 0 makes every caller compute a miss itself, as without a lock. Give lockWait a duration (default: lockTtl), or drop lock.`,
    );
  }
  warnShortDuration(`A ${MODULE} ttl`, o.ttl, o.logger ?? logger);
  return settings;
}

/**
 * A stale period needs a fresh period before it: `staleTtl` without a `ttl` is a mistake. The
 * store keeps an entry for `ttl + staleTtl`, which must fit the store's limit.
 */
export function assertStaleTtl(where: string, ttl: number, staleTtl: number): void {
  if (staleTtl > 0 && ttl === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} options: staleTtl ${staleTtl} needs a ttl > 0 (an entry that never expires never goes stale).`,
    );
  }
  if (ttl + staleTtl > MAX_TTL_MS) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} options: ttl + staleTtl (${ttl} + ${staleTtl} ms) is longer than the store's limit of ${MAX_TTL_MS} ms (100 years). Shorten them, or use ttl 0 for an entry that stays until evicted.`,
    );
  }
}
