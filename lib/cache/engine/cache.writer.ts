import { cacheMessages } from '../cache.messages.js';
import { seal } from '../entry/cache.envelope.js';
import { valueKey } from '../entry/cache.keys.js';
import type { CacheSpace, SpaceContext } from './cache.space.js';
import { localTtl, type LocalUse } from '../local/local.use.js';
import type { CallTags } from '../tags/tags.call.js';
import { entryTimes } from '../grace/grace.entry.js';
import type { GracePlan } from '../grace/grace.options.js';
import { resultTtl } from '../grace/grace.ttl.js';

/** How one cached call reads and writes: the defaults of the module, overridden per method/call. */
export interface CachePlan {
  readonly space: CacheSpace;
  readonly namespace: string;
  readonly ttl: number;
  readonly staleTtl: number;
  readonly timeout: number;
  readonly cacheNull: boolean;
  readonly lock: boolean;
  /** Names the caller in log lines, e.g. `UserService.find`. */
  readonly label: string;
  /** How the plan uses the store's local tier; undefined: it reads and fills none. */
  readonly local: LocalUse | undefined;
  /** Grace period and loader timeouts (lib/cache/grace). */
  readonly grace: GracePlan;
}

/** Settings of the engine that no method overrides. */
export interface EngineSettings {
  readonly lockTtl: number;
  readonly lockWait: number;
  /** Wall clock (epoch ms) for stale-while-revalidate. */
  readonly clock: () => number;
}

/** A function whose result may be cached, and the veto on storing that result. */
export interface Load<T> {
  readonly compute: () => Promise<T>;
  readonly unless?: ((value: T) => boolean) | undefined;
  /** The tags of the call's entry; undefined: none. */
  readonly tags?: CallTags | undefined;
  /** The ttl chosen from the result (ms or a duration string), instead of the plan's. */
  readonly ttl?: ((value: T) => unknown) | undefined;
}

/**
 * Writes and removes entries. Every write or eviction of a key also stops the loads of that key
 * running in this process from writing their (now older) result back afterwards. With a local
 * tier on the store, each one, once the store step is done, drops the key from this process's
 * tier (so a read that overlapped it cannot leave the older bytes there) and tells the other
 * instances to drop it from theirs; a lone write then puts its own bytes in the tier.
 */
export class CacheWriter {
  constructor(
    private readonly ctx: SpaceContext,
    private readonly settings: EngineSettings,
  ) {}

  /** Stores `value` under `key` unless vetoed; true when it was written. `ext`: see `store`. */
  async put<T>(
    plan: CachePlan,
    key: string,
    value: T,
    unless?: (value: T) => boolean,
    ext?: Uint8Array,
    ttlOf?: (value: T) => unknown,
  ): Promise<boolean> {
    cancel(plan.space, valueKey(plan, key), false);
    const veto = unless as ((value: unknown) => boolean) | undefined;
    const ttl = ttlOf as Load<unknown>['ttl'];
    return (await this.store(plan, key, value, veto, ext, ttl)) !== undefined;
  }

  /** Deletes `keys`; resolves with how many existed. */
  async evict(plan: CachePlan, keys: readonly string[]): Promise<number> {
    const storeKeys = keys.map((key) => valueKey(plan, key));
    for (const storeKey of storeKeys) cancel(plan.space, storeKey, false);
    try {
      return await plan.space.remove(storeKeys, plan.timeout);
    } finally {
      const sync = plan.space.local;
      if (sync !== undefined && storeKeys.length > 0) {
        for (const storeKey of storeKeys) sync.tier.invalidate(storeKey);
        sync.publish(storeKeys);
      }
    }
  }

  /** Deletes every key of the plan's namespace that starts with `prefix` ('' = all of them). */
  async evictPrefix(plan: CachePlan, prefix: string): Promise<number> {
    const storePrefix = valueKey(plan, prefix);
    cancel(plan.space, storePrefix, true);
    try {
      return await plan.space.removePrefix(storePrefix, plan.timeout);
    } finally {
      const sync = plan.space.local;
      if (sync !== undefined) {
        sync.tier.invalidatePrefix(storePrefix);
        sync.publish([], [storePrefix]);
      }
    }
  }

  /**
   * Seals and writes a loaded value, unless vetoed (`unless`, or a null result with `cacheNull`
   * off). Resolves with the bytes when they were written, for copies; else undefined. `ext`: the
   * entry's extension bytes (its tags). `ttlOf` chooses the ttl from the value; a bad choice
   * throws KvsInvalidArgumentError.
   */
  async store(
    plan: CachePlan,
    key: string,
    value: unknown,
    unless: ((value: unknown) => boolean) | undefined,
    ext?: Uint8Array,
    ttlOf?: Load<unknown>['ttl'],
  ): Promise<Buffer | undefined> {
    if (unless !== undefined && unless(value)) return undefined;
    if ((value === null || value === undefined) && !plan.cacheNull) return undefined;
    const { staleTtl, grace } = plan;
    const chosen = ttlOf && resultTtl(plan.label, ttlOf(value), staleTtl, grace.grace);
    const times = entryTimes(chosen ?? plan.ttl, staleTtl, grace.grace, this.settings.clock());
    let bytes: Buffer;
    try {
      const extras =
        times.stale === 0 && ext === undefined ? undefined : { staleUntil: times.stale, ext };
      bytes = seal(value, times.fresh, this.ctx.codec, extras);
    } catch (err) {
      this.ctx.log.warn(`encode:${plan.label}`, () => cacheMessages.encodeFailed(plan.label, err));
      return undefined;
    }
    const ttl = times.storeTtl;
    const storeKey = valueKey(plan, key);
    const { space } = plan;
    const sync = space.local;
    if (sync === undefined) {
      return (await space.write(storeKey, bytes, ttl, plan.timeout)) ? bytes : undefined;
    }
    space.writing.set(storeKey, (space.writing.get(storeKey) ?? 0) + 1);
    const sentAt = performance.now();
    let written = false;
    try {
      written = await space.write(storeKey, bytes, ttl, plan.timeout);
    } finally {
      const others = space.writing.get(storeKey)! - 1;
      if (others === 0) space.writing.delete(storeKey);
      else space.writing.set(storeKey, others);
      sync.tier.invalidate(storeKey);
      if (written && others === 0 && plan.local !== undefined && plan.local.readiness.ready) {
        sync.tier.fill(
          storeKey,
          bytes,
          localTtl(plan.local, ttl === 0 ? Infinity : ttl, sentAt),
          sync.tier.begin(),
        );
      }
      sync.publish([storeKey]);
    }
    return written ? bytes : undefined;
  }
}

/** Stops loads of `storeKey` (or of every key under it) from writing their result back. */
function cancel(space: CacheSpace, storeKey: string, prefix: boolean): void {
  const maps = [space.flights, space.refreshing, space.overdue];
  for (const map of maps as Map<string, { cancelled: boolean }>[]) {
    if (!prefix) {
      const flight = map.get(storeKey);
      if (flight !== undefined) flight.cancelled = true;
      map.delete(storeKey);
      continue;
    }
    for (const [key, flight] of map) {
      if (key.startsWith(storeKey)) {
        flight.cancelled = true;
        map.delete(key);
      }
    }
  }
}
