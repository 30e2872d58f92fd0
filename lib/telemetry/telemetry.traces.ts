import { SPAN_STATUS_ERROR, type OtelSpan } from './otel.types.js';
import { decisionOutcome, cacheLoad, type ObservedDecision } from './telemetry.hooks.js';
import { recheckTelemetry, refreshTelemetry, telemetry } from './telemetry.state.js';

/**
 * Spans: one per cache load and one per rate-limit decision, children of the active span (the
 * request's, when the app has HTTP instrumentation). Store commands get none from this package:
 * `@opentelemetry/instrumentation-ioredis` makes a span per Redis command; a decision's script and
 * the queries a load makes run with its span active, so their spans are its children.
 */

/** Marks a span failed with `err` and ends it. */
function failed(span: OtelSpan, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  span.setStatus({ code: SPAN_STATUS_ERROR, message: err instanceof Error ? err.message : '' });
  span.setAttribute('error.type', errorType(err));
  span.end();
}

/** The `error.type` of `err`: its string `code` (KVS_TIMEOUT...), else its class name. */
export function errorType(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : typeof err;
}

/**
 * Runs `compute`, the load of a cache entry of `namespace` by `label` (`Class.method` or
 * `KvsCache.wrap()`), counted in `kvs.cache.loads` and, when tracing, in a `kvs.cache.load` span
 * that is active while it runs (so the queries it makes are its children).
 */
export function tracedLoad<T>(
  namespace: string,
  label: string,
  compute: () => Promise<T>,
): Promise<T> {
  cacheLoad(namespace);
  const s = telemetry;
  if (s.waiting) recheckTelemetry();
  if (!s.tracing || s.api == null || s.tracer === undefined) return compute();
  const span = s.tracer.startSpan('kvs.cache.load', {
    attributes: { 'kvs.cache.namespace': namespace, 'code.function': label },
  });
  return inSpan(span, compute).then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      failed(span, err);
      throw err;
    },
  );
}

/** `RateLimitDecider.decide(keys, policies, onStoreError, cost, mode)`, its types erased. */
type Decide = (
  keys: never,
  policies: never,
  onStoreError: never,
  cost: never,
  mode?: never,
) => ObservedDecision | Promise<ObservedDecision>;

/**
 * Makes `decider.decide`, when tracing, run in a `kvs.ratelimit.decision` span (the decider
 * counts each decision in `kvs.ratelimit.decisions` itself). `decide(keys, policies, ...)` keeps its result type:
 * synchronous on memory, a promise on Redis. A throw (bad input) is no decision: only the span
 * records it. The wrapper takes the five parameters as they are (no rest array per call).
 */
export function observeDecider<D extends { decide: Decide }>(decider: D): D {
  refreshTelemetry(); // a limiter made outside Nest sees an SDK registered before it
  const original = decider.decide;
  const decide = function (
    this: D,
    keys: never,
    policies: never,
    onStoreError: never,
    cost: never,
    mode?: never,
  ): ObservedDecision | Promise<ObservedDecision> {
    const s = telemetry;
    if (s.waiting) recheckTelemetry();
    // A peek (the mode) spends nothing: it is no decision. The decider counts decisions itself.
    if (!s.tracing || (mode as unknown) === 'peek') {
      return original.call(this, keys, policies, onStoreError, cost, mode);
    }
    const span = s.tracing ? decisionSpan(policies) : undefined;
    let out: ObservedDecision | Promise<ObservedDecision>;
    try {
      out =
        span === undefined
          ? original.call(this, keys, policies, onStoreError, cost, mode)
          : inSpan(span, () => original.call(this, keys, policies, onStoreError, cost, mode));
    } catch (err) {
      if (span !== undefined) failed(span, err);
      throw err;
    }
    if (!(out instanceof Promise)) return decided(out, span);
    return out.then(
      (d) => decided(d, span),
      (err: unknown) => {
        if (span !== undefined) failed(span, err);
        throw err;
      },
    );
  };
  (decider as { decide: Decide }).decide = decide;
  return decider;
}

/** Runs `fn` with `span` active, so the store commands it issues are the span's children. */
function inSpan<R>(span: OtelSpan, fn: () => R): R {
  const { context, trace } = telemetry.api!;
  return context.with(trace.setSpan(context.active(), span), fn);
}

function decisionSpan(policies: unknown): OtelSpan | undefined {
  const s = telemetry;
  if (s.tracer === undefined) return undefined;
  const names = Array.isArray(policies)
    ? policies.map((p) => String((p as { name?: unknown }).name))
    : [];
  return s.tracer.startSpan('kvs.ratelimit.decision', {
    attributes: { 'kvs.ratelimit.policies': names },
  });
}

function decided(d: ObservedDecision, span: OtelSpan | undefined): ObservedDecision {
  if (span !== undefined) {
    span.setAttribute('kvs.ratelimit.outcome', decisionOutcome(d));
    span.setAttribute('kvs.ratelimit.policy', d.policy);
    if (d.storeError !== undefined) span.setAttribute('error.type', errorType(d.storeError));
    span.end();
  }
  return d;
}
