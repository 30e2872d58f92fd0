import { describeValue } from '../shared/describe.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import { refreshTelemetry, telemetry } from '../telemetry/telemetry.state.js';
import { timedStoreView } from '../telemetry/telemetry.store-timing.js';

/** Options of {@link configureKvsTelemetry}. */
export interface KvsTelemetryOptions {
  /** Record the `kvs.*` metrics. Default true (when `@opentelemetry/api` and an SDK are there). */
  metrics?: boolean;
  /**
   * Time every operation of the Redis stores KvsModule creates (`kvs.store.operation.duration`).
   * Default false: the SDK's `record()` alone (it hashes the attribute set on every call) costs
   * about 0.9 µs of CPU per operation, and with the clock reads some 12% of a Redis cache hit's
   * client-side CPU (bench: `npm run bench -- telemetry`). Turn it on where per-operation latency
   * is worth that.
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
 * Turns this package's OpenTelemetry metrics, spans or store timing on or off, for the whole
 * process (as the OpenTelemetry providers themselves are), at once: stores and caches created
 * before follow. Metrics and spans are on by default, store timing off; none costs anything
 * measurable without `@opentelemetry/api` or without a registered SDK.
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

/**
 * The store as KvsModule hands it out. With `@opentelemetry/api` installed and a Redis store: a
 * view of `store` that times every operation in `kvs.store.operation.duration` (attributes
 * `kvs.operation`, `kvs.backend`, `kvs.store`, and `error.type` when it rejects) while metrics and
 * `storeDurations` are on and an SDK is registered; it checks that per call, so the settings and
 * an SDK registered later apply to it too. Everything else (`backend`, `channel`, `scan`,
 * `close`...) is the store's own. The memory store is not timed: its operations take a fraction
 * of a microsecond, less than timing them would cost.
 */
export function instrumentStore(store: KvsStore, name: string | undefined): KvsStore {
  if (telemetry.api == null || store.backend === 'memory') return store;
  return timedStoreView(store, store.backend, name ?? 'default');
}
