import type { OtelAttributes } from './otel.types.js';
import { MAX_SERIES, recheckTelemetry, telemetry } from './telemetry.state.js';
import { errorType } from './telemetry.traces.js';

/**
 * The timed view of a store (`kvs.store.operation.duration`), built once per store: an object
 * whose prototype is the store, with an own property per method of the store's class, so a call
 * costs what a plain method call does (no Proxy trap on each property read). The timed operations
 * get a wrapper made once per operation with its attribute set made once too, frozen: per call
 * there are two clock reads, one `then` and the SDK's `record()`, and nothing else. The rest are
 * the store's own methods bound to it, its getters forwarded; its data fields are read through
 * the prototype.
 */

/** The store operations timed (`kvs.operation` is the method name). */
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

type Method = (...args: unknown[]) => unknown;

/**
 * A view of `store` that times its operations while `telemetry.timing` holds (it is checked per
 * call, so `configureKvsTelemetry` and an SDK registered later take effect on a store made before).
 */
export function timedStoreView<T extends object>(store: T, backend: string, name: string): T {
  const view = Object.create(store) as T;
  const base = { 'kvs.backend': backend, 'kvs.store': name };
  for (let p: object | null = store; p !== null && p !== Object.prototype;) {
    for (const key of Reflect.ownKeys(p)) {
      if (key === 'constructor' || Object.hasOwn(view, key)) continue;
      const d = Object.getOwnPropertyDescriptor(p, key)!;
      if (d.get !== undefined || d.set !== undefined) {
        Object.defineProperty(view, key, {
          get: () => Reflect.get(store, key) as unknown,
          set: (value: unknown) => Reflect.set(store, key, value),
          configurable: true,
        });
      } else if (typeof d.value === 'function') {
        const method = d.value as Method;
        const value = TIMED.has(key) ? timed(store, method, String(key), base) : method.bind(store);
        Object.defineProperty(view, key, { value, writable: true, configurable: true });
      }
    }
    p = Object.getPrototypeOf(p) as object | null;
  }
  return view;
}

function timed(store: object, method: Method, op: string, base: OtelAttributes): Method {
  const ok: OtelAttributes = Object.freeze({ ...base, 'kvs.operation': op });
  const failures = new Map<string, OtelAttributes>();
  const failed = (err: unknown): OtelAttributes => {
    let type = errorType(err);
    let attributes = failures.get(type);
    if (attributes === undefined) {
      if (failures.size >= MAX_SERIES) type = '_other';
      attributes = failures.get(type) ?? Object.freeze({ ...ok, 'error.type': type });
      failures.set(type, attributes);
    }
    return attributes;
  };
  return function (...args: unknown[]): unknown {
    const s = telemetry;
    if (!s.timing) {
      if (s.waiting) recheckTelemetry();
      return method.apply(store, args);
    }
    const start = performance.now();
    return (method.apply(store, args) as Promise<unknown>).then(
      (value) => {
        record(start, ok);
        return value;
      },
      (err: unknown) => {
        record(start, failed(err));
        throw err;
      },
    );
  };
}

/** One point of the histogram: seconds since `start` (a `performance.now()`). */
function record(start: number, attributes: OtelAttributes): void {
  const s = telemetry;
  s.instruments?.duration.record((performance.now() - start) / 1000, attributes, s.root);
}
