import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  OtelApi,
  OtelAttributes,
  OtelBatchResult,
  OtelHistogram,
  OtelMeter,
  OtelObservable,
  OtelContext,
  OtelTracer,
} from './otel.types.js';

/**
 * Where OpenTelemetry stands in this process: whether `@opentelemetry/api` could be loaded (it is
 * an optional peer, imported lazily, never statically), whether an SDK is registered, the
 * switches of `configureKvsTelemetry`, and the instruments. One state per process, kept under a
 * registry symbol so that two copies of the package (ESM and CJS builds) share it.
 */

/** How a cache lookup ended: `local_hit` is a hit in the in-process (local) tier. */
export type CacheLookupResult = 'hit' | 'local_hit' | 'stale' | 'miss';

/** The per-request record of the `X-Cache` header: the first lookup of the request wins. */
export interface CacheResultSlot {
  result: CacheLookupResult | undefined;
}

/** Counts of one cache namespace since the meter provider was registered. */
export class NamespaceCells {
  /** Lookups by result. */
  readonly lookups: Record<CacheLookupResult, number> = { hit: 0, local_hit: 0, stale: 0, miss: 0 };
  /** Loads, and invalidations sent and received. */
  loads = 0;
  sent = 0;
  received = 0;
}

/** Counts of one rate-limit policy. */
export class PolicyCells {
  allowed = 0;
  refused = 0;
  error = 0;
}

/** The instruments of one meter provider. */
export interface Instruments {
  readonly duration: OtelHistogram;
  readonly lookups: OtelObservable;
  readonly loads: OtelObservable;
  readonly errors: OtelObservable;
  readonly decisions: OtelObservable;
  readonly sent: OtelObservable;
  readonly received: OtelObservable;
}

export interface TelemetryState {
  /** The API once loaded; `null` when it is not installed; `undefined` while loading. */
  api: OtelApi | null | undefined;
  readonly loaded: Promise<void>;
  /** `configureKvsTelemetry`'s switches (default: metrics and traces on, storeDurations off). */
  metrics: boolean;
  traces: boolean;
  storeDurations: boolean;
  /** True when metrics are on, the API is loaded and a real meter provider is registered. */
  counting: boolean;
  /** True when counting and `storeDurations`: the stores KvsModule creates are timed. */
  timing: boolean;
  /** True when traces are on, the API is loaded and a real tracer provider is registered. */
  tracing: boolean;
  /** True when a switch is on but no SDK provides for it yet: hot paths re-check now and then. */
  waiting: boolean;
  /** Calls seen while waiting, modulo RECHECK_EVERY. */
  idleCalls: number;
  /** The meter provider the instruments belong to. */
  provider: unknown;
  instruments: Instruments | undefined;
  tracer: OtelTracer | undefined;
  tracerProvider: unknown;
  /** The API's root context: histogram points are recorded on it (no active-context lookup). */
  root: OtelContext | undefined;
  readonly namespaces: Map<string, NamespaceCells>;
  readonly policies: Map<string, PolicyCells>;
  /** Cache store-step failures by `step\0error type`. */
  readonly errors: Map<string, number>;
  /** How many `KvsCacheHeaderInterceptor`s exist: lookups only read `slots` when some do. */
  headerUsers: number;
  readonly slots: AsyncLocalStorage<CacheResultSlot>;
}

const STATE = Symbol.for('nestjs-kvs:telemetry:v1');
/** The meter and tracer name. */
export const INSTRUMENTATION_NAME = 'nestjs-kvs';
/** Most attribute sets kept per metric; more (a bug: names made from data) go to `_other`. */
export const MAX_SERIES = 1000;

export const telemetry: TelemetryState = ((globalThis as Record<symbol, unknown>)[STATE] ??=
  createState()) as TelemetryState;

function createState(): TelemetryState {
  const state: TelemetryState = {
    api: undefined,
    loaded: undefined as never,
    metrics: true,
    traces: true,
    storeDurations: false,
    counting: false,
    timing: false,
    tracing: false,
    waiting: false,
    idleCalls: 0,
    provider: undefined,
    instruments: undefined,
    tracer: undefined,
    tracerProvider: undefined,
    root: undefined,
    namespaces: new Map(),
    policies: new Map(),
    errors: new Map(),
    headerUsers: 0,
    slots: new AsyncLocalStorage(),
  };
  (state as { loaded: Promise<void> }).loaded = import('@opentelemetry/api').then(
    (api) => {
      // The named exports: the API's default export holds only some of them.
      const named = api as unknown as Partial<OtelApi> & { default?: Partial<OtelApi> };
      const found = typeof named.createNoopMeter === 'function' ? named : named.default;
      state.api = isUsable(found) ? found : null;
      refreshTelemetry();
    },
    () => {
      state.api = null;
    },
  );
  return state;
}

/** Whether `api` has what this package calls (any @opentelemetry/api 1.x does). */
function isUsable(api: Partial<OtelApi> | undefined): api is OtelApi {
  return (
    typeof api?.createNoopMeter === 'function' &&
    typeof api.ProxyTracerProvider === 'function' &&
    typeof api.metrics?.getMeterProvider === 'function' &&
    typeof api.trace?.getTracerProvider === 'function' &&
    typeof api.context?.with === 'function'
  );
}

/**
 * Resolves once `@opentelemetry/api` is loaded (or known to be absent), then picks up a meter or
 * tracer provider registered since the last call. KvsModule calls it when it creates a store, so
 * an SDK started before the application is seen at once; one started later is seen within
 * RECHECK_EVERY calls of the hot paths (see recheckTelemetry).
 */
export async function telemetryReady(): Promise<void> {
  await telemetry.loaded;
  refreshTelemetry();
}

/** Re-reads the switches and the global providers; new instruments for a new meter provider. */
export function refreshTelemetry(): void {
  const s = telemetry;
  const api = s.api;
  if (api === undefined || api === null) {
    s.counting = s.timing = s.tracing = s.waiting = false;
    return;
  }
  const provider = api.metrics.getMeterProvider();
  if (provider !== s.provider) {
    s.provider = provider;
    const meter = provider.getMeter(INSTRUMENTATION_NAME);
    const noop = meter.constructor === api.createNoopMeter().constructor;
    s.instruments = noop ? undefined : createInstruments(meter);
    s.namespaces.clear();
    s.policies.clear();
    s.errors.clear();
  }
  s.counting = s.metrics && s.instruments !== undefined;
  s.timing = s.counting && s.storeDurations;
  s.root = api.ROOT_CONTEXT;
  const global = api.trace.getTracerProvider();
  if (global !== s.tracerProvider) {
    // A tracer of the API belongs to the global provider of its time (trace.disable() replaces it).
    s.tracerProvider = global;
    s.tracer = api.trace.getTracer(INSTRUMENTATION_NAME);
  }
  const noopTracing =
    typeof global.getDelegate === 'function' &&
    global.getDelegate() === new api.ProxyTracerProvider().getDelegate();
  s.tracing = s.traces && !noopTracing;
  s.waiting = (s.metrics && s.instruments === undefined) || (s.traces && !s.tracing);
}

/** How many hot-path calls pass between two reads of the global providers while waiting. */
export const RECHECK_EVERY = 1024;

/**
 * Called by the hot paths (a cache lookup, a decision, a load, a store operation) while
 * `telemetry.waiting`: every RECHECK_EVERY-th call re-reads the global providers, so an SDK
 * registered after the app was created is picked up (the API's global meter provider is read
 * afresh; its tracer is a proxy that follows the provider by itself). About a nanosecond a call.
 */
export function recheckTelemetry(): void {
  const s = telemetry;
  s.idleCalls = (s.idleCalls + 1) % RECHECK_EVERY;
  if (s.idleCalls === 0) refreshTelemetry();
}

/** Store operations take well under a millisecond to a few seconds. */
const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

function createInstruments(meter: OtelMeter): Instruments {
  const counter = (name: string, unit: string, description: string) =>
    meter.createObservableCounter(name, { unit: `{${unit}}`, description });
  const instruments: Instruments = {
    duration: meter.createHistogram('kvs.store.operation.duration', {
      unit: 's',
      description: 'Duration of operations on a store registered by KvsModule.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    lookups: counter(
      'kvs.cache.lookups',
      'lookup',
      'Cache lookups, by result: hit, local_hit, stale, miss.',
    ),
    loads: counter('kvs.cache.loads', 'load', 'Runs of a cached function to fill the cache.'),
    errors: counter('kvs.cache.errors', 'error', 'Cache store steps that failed or timed out.'),
    decisions: counter(
      'kvs.ratelimit.decisions',
      'decision',
      'Rate-limit decisions, by outcome and policy.',
    ),
    sent: counter(
      'kvs.cache.invalidations.sent',
      'invalidation',
      'Invalidations the local tier published on the store channel.',
    ),
    received: counter(
      'kvs.cache.invalidations.received',
      'invalidation',
      "Invalidations the local tier received from other instances' channel.",
    ),
  };
  const { duration: _sync, ...observables } = instruments;
  meter.addBatchObservableCallback(
    (result) => observe(result, instruments),
    [...Object.values(observables)],
  );
  return instruments;
}

/** Reports every count (called by the SDK at each collection, not on the hot path). */
function observe(result: OtelBatchResult, i: Instruments): void {
  const s = telemetry;
  if (s.instruments !== i) return;
  for (const [namespace, c] of s.namespaces) {
    const ns: OtelAttributes = namespace === '' ? {} : { 'kvs.cache.namespace': namespace };
    for (const r of ['hit', 'local_hit', 'stale', 'miss'] as const) {
      const n = c.lookups[r];
      if (n > 0) result.observe(i.lookups, n, { ...ns, 'kvs.cache.result': r });
    }
    if (c.loads > 0) result.observe(i.loads, c.loads, ns);
    if (c.sent > 0) result.observe(i.sent, c.sent, ns);
    if (c.received > 0) result.observe(i.received, c.received, ns);
  }
  for (const [policy, c] of s.policies) {
    for (const outcome of ['allowed', 'refused', 'error'] as const) {
      if (c[outcome] > 0) {
        result.observe(i.decisions, c[outcome], {
          'kvs.ratelimit.outcome': outcome,
          'kvs.ratelimit.policy': policy,
        });
      }
    }
  }
  for (const [key, count] of s.errors) {
    const [step, type] = key.split('\0') as [string, string];
    result.observe(i.errors, count, { 'kvs.operation': step, 'error.type': type });
  }
}
