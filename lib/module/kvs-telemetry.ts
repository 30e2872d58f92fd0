import { describeValue } from '../shared/describe.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import type { OtelAttributes } from '../telemetry/otel.types.js';
import { errorType } from '../telemetry/telemetry.traces.js';
import { refreshTelemetry, telemetry } from '../telemetry/telemetry.state.js';

/** Options of {@link configureKvsTelemetry}. */
export interface KvsTelemetryOptions {
  /** Record the `kvs.*` metrics. Default true (when `@opentelemetry/api` and an SDK are there). */
  metrics?: boolean;
  /**
   * Time every operation of the Redis stores KvsModule creates (`kvs.store.operation.duration`).
   * Default true. The SDK's histogram and the clock reads cost a few µs of CPU per operation
   * (bench: `npm run bench -- telemetry`): turn it off to keep only the counters on a CPU-bound
   * Redis hot path.
   */
  storeDurations?: boolean;
  /** Make `kvs.cache.load` and `kvs.ratelimit.decision` spans. Default true (likewise). */
  traces?: boolean;
}

const KEYS: OptionNames<KvsTelemetryOptions> = {
  metrics: true,
  traces: true,
  storeDurations: true,
};

/**
 * Turns this package's OpenTelemetry metrics or spans on or off, for the whole process (as the
 * OpenTelemetry providers themselves are). Both are on by default and cost nothing measurable
 * without `@opentelemetry/api` or without a registered SDK. Call it before creating the app:
 * stores created while metrics are off are not timed.
 */
export function configureKvsTelemetry(options: KvsTelemetryOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KvsInvalidArgumentError(
      `Invalid configureKvsTelemetry() options: expected an object such as { metrics: false }, got ${describeValue(options)}.`,
    );
  }
  assertKnownKeys('configureKvsTelemetry() options', options, KEYS, (m) => {
    return new KvsInvalidArgumentError(m);
  });
  for (const key of ['metrics', 'traces', 'storeDurations'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new KvsInvalidArgumentError(
        `Invalid configureKvsTelemetry() option ${key}: expected true or false, got ${describeValue(value)}.`,
      );
    }
  }
  telemetry.metrics = options.metrics ?? telemetry.metrics;
  telemetry.traces = options.traces ?? telemetry.traces;
  telemetry.storeDurations = options.storeDurations ?? telemetry.storeDurations;
  refreshTelemetry();
}

/** The store operations timed in `kvs.store.operation.duration` (`kvs.operation` is the method name). */
const TIMED = new Set<string | symbol>([
  'get',
  'set',
  'delete',
  'list',
  'tryGet',
  'getMany',
  'has',
  'setIfAbsent',
  'take',
  'increment',
  'expire',
  'ttl',
  'deleteIfEquals',
  'deleteMany',
  'ping',
  'evalScript',
]);

/**
 * The store as KvsModule hands it out: when metrics are on and an SDK is registered, a view of
 * `store` that times every operation in `kvs.store.operation.duration` (attributes
 * `kvs.operation`, `kvs.backend`, `kvs.store`, and `error.type` when it rejects). Everything else
 * (`backend`, `channel`, `scan`, `close`...) is the store's own. The memory store is not timed: its
 * operations take a fraction of a microsecond, less than timing them would cost.
 */
export function instrumentStore(store: KvsStore, name: string | undefined): KvsStore {
  const { instruments } = telemetry;
  if (!telemetry.timing || instruments === undefined || store.backend === 'memory') return store;
  const histogram = instruments.duration;
  const wrapped = new Map<string | symbol, unknown>();
  const base = { 'kvs.backend': store.backend, 'kvs.store': name ?? 'default' };
  const time = (op: string, fn: (...args: unknown[]) => unknown) => {
    const ok: OtelAttributes = { ...base, 'kvs.operation': op };
    return (...args: unknown[]): unknown => {
      if (!telemetry.timing) return fn.apply(store, args);
      const start = performance.now();
      const done = (err?: unknown) => {
        const seconds = (performance.now() - start) / 1000;
        const attributes = err === undefined ? ok : { ...ok, 'error.type': errorType(err) };
        histogram.record(seconds, attributes, telemetry.root);
      };
      return (fn.apply(store, args) as Promise<unknown>).then(
        (value) => {
          done();
          return value;
        },
        (err: unknown) => {
          done(err);
          throw err;
        },
      );
    };
  };
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        fn = TIMED.has(prop) ? time(String(prop), method) : method.bind(target);
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
