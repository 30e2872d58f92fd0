import { describeValue as describe } from '../shared/describe.js';
import { toError } from '../shared/errors.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import { defaultCacheKey } from './cache.keys.js';
import { cacheMessages } from './cache.messages.js';
import type { CachedMethod } from './cache.method.js';
import type { KvsCacheLoadOptions } from './cache.options.js';
import type { Load } from './cache.plan.js';
import type { KvsCacheRuntime } from './cache.runtime.js';

/** A key option as the runtime sees it, with the method's argument types erased. */
type KeyOption<K> = K | ((...args: unknown[]) => K);
type Predicate = (...args: unknown[]) => boolean;

/** `@Cacheable` and `@CachePut` options, argument types erased. */
export interface StoredMethodOptions extends KvsCacheLoadOptions {
  key?: KeyOption<string>;
  condition?: Predicate;
  unless?: (result: unknown, ...args: unknown[]) => boolean;
}

/** `@CacheEvict` options, argument types erased. */
export interface EvictMethodOptions extends KvsCacheLoadOptions {
  key?: KeyOption<string | readonly string[]>;
  prefix?: KeyOption<string>;
  allEntries?: boolean;
  beforeInvocation?: boolean;
  condition?: Predicate;
}

/** Runs a decorated method through `runtime`, according to its decorator. */
export function invokeCached(
  runtime: KvsCacheRuntime,
  method: CachedMethod,
  self: object,
  args: unknown[],
): Promise<unknown> {
  switch (method.kind) {
    case 'cacheable':
      return cacheable(runtime, method as CachedMethod<StoredMethodOptions>, self, args);
    case 'put':
      return put(runtime, method as CachedMethod<StoredMethodOptions>, self, args);
    case 'evict':
      return evictAround(runtime, method as CachedMethod<EvictMethodOptions>, self, args);
  }
}

/** The load of one call of a decorated method: the method itself, and its `unless` veto. */
class MethodLoad implements Load<unknown> {
  constructor(
    private readonly method: CachedMethod<StoredMethodOptions>,
    private readonly self: object,
    private readonly args: unknown[],
  ) {}

  async compute(): Promise<unknown> {
    return this.method.original.apply(this.self, this.args);
  }

  get unless(): ((value: unknown) => boolean) | undefined {
    const { unless } = this.method.options;
    return unless && ((value: unknown) => unless(value, ...this.args));
  }
}

/** Not `async`: the hit path of every call goes through here, so it adds no promise of its own. */
function cacheable(
  runtime: KvsCacheRuntime,
  method: CachedMethod<StoredMethodOptions>,
  self: object,
  args: unknown[],
): Promise<unknown> {
  let key: string;
  try {
    const { condition } = method.options;
    if (condition !== undefined && !condition(...args)) {
      return Promise.resolve(method.original.apply(self, args));
    }
    key = keyOf(method, args);
  } catch (err) {
    return Promise.reject(toError(err));
  }
  return runtime.engine.cached(runtime.planOf(method), key, new MethodLoad(method, self, args));
}

async function put(
  runtime: KvsCacheRuntime,
  method: CachedMethod<StoredMethodOptions>,
  self: object,
  args: unknown[],
): Promise<unknown> {
  const value: unknown = await method.original.apply(self, args);
  const { condition, unless } = method.options;
  if (condition === undefined || condition(...args)) {
    const veto = unless && ((result: unknown) => unless(result, ...args));
    await runtime.writer.put(runtime.planOf(method), keyOf(method, args), value, veto);
  }
  return value;
}

async function evictAround(
  runtime: KvsCacheRuntime,
  method: CachedMethod<EvictMethodOptions>,
  self: object,
  args: unknown[],
): Promise<unknown> {
  const { condition, beforeInvocation } = method.options;
  const enabled = condition === undefined || condition(...args);
  if (enabled && beforeInvocation === true) await evict(runtime, method, args);
  const result: unknown = await method.original.apply(self, args);
  if (enabled && beforeInvocation !== true) await evict(runtime, method, args);
  return result;
}

async function evict(
  runtime: KvsCacheRuntime,
  method: CachedMethod<EvictMethodOptions>,
  args: unknown[],
): Promise<number> {
  const { key, prefix, allEntries } = method.options;
  const plan = runtime.planOf(method);
  if (allEntries === true) return runtime.writer.evictPrefix(plan, '');
  if (prefix !== undefined) {
    return runtime.writer.evictPrefix(plan, checked(method, evaluate(prefix, args)));
  }
  const keys = evaluate(key ?? [], args);
  const list = typeof keys === 'string' ? [keys] : [...keys];
  return runtime.writer.evict(
    plan,
    list.map((k) => checked(method, k)),
  );
}

function evaluate<K>(option: KeyOption<K>, args: unknown[]): K {
  return typeof option === 'function' ? (option as (...args: unknown[]) => K)(...args) : option;
}

/** The key of one call: the decorator's `key`, or `<Class>.<method>:<hash of the arguments>`. */
function keyOf(method: CachedMethod<StoredMethodOptions>, args: unknown[]): string {
  const { key } = method.options;
  if (key === undefined) return defaultCacheKey(method.label, args);
  return checked(method, evaluate(key, args));
}

function checked(method: CachedMethod, key: unknown): string {
  if (typeof key === 'string' && key.length > 0) return key;
  throw new KvsInvalidArgumentError(cacheMessages.badKey(method.label, describe(key)));
}
