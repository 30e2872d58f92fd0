import type { CacheSpace } from './cache.space.js';

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
}

/** The store key of `key` in the plan's namespace: `<namespace>:<key>`. */
export const valueKey = (plan: CachePlan, key: string): string => `${plan.namespace}:${key}`;

/** The store key of `key`'s lock: outside the namespace's keys, so evictions never see it. */
export const lockKey = (plan: CachePlan, key: string): string => `${plan.namespace}#lock:${key}`;
