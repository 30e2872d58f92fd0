import {
  MAX_SERIES,
  NamespaceCells,
  PolicyCells,
  recheckTelemetry,
  telemetry,
  type CacheLookupResult,
} from './telemetry.state.js';

/**
 * The calls the cache and the rate limiter make where they count something. Each is a few
 * nanoseconds: it adds 1 to a number held per namespace or policy, and the SDK reads the numbers
 * when it collects (asynchronous counters), so no attribute set is built or hashed per call.
 * Nothing is counted when metrics are off, `@opentelemetry/api` is absent or no SDK is registered
 * (a lookup then checks now and then whether one has been registered since).
 */

/** The counts of `namespace`, created on first use (bounded: see MAX_SERIES). */
function namespaceCells(namespace: string): NamespaceCells {
  const { namespaces } = telemetry;
  let cells = namespaces.get(namespace);
  if (cells === undefined) {
    const key = namespaces.size < MAX_SERIES ? namespace : '_other';
    cells = namespaces.get(key) ?? new NamespaceCells();
    namespaces.set(key, cells);
  }
  return cells;
}

/** A cache lookup ended with `result` (the local tier reports `local_hit`). Also feeds `X-Cache`. */
export function cacheLookup(result: CacheLookupResult, namespace: string): void {
  const s = telemetry;
  if (s.counting) namespaceCells(namespace).lookups[result]++;
  else if (s.waiting) recheckTelemetry();
  if (s.headerUsers > 0) {
    const slot = s.slots.getStore();
    if (slot !== undefined) slot.result ??= result;
  }
}

/** A cached function ran to fill (or refresh) an entry of `namespace`. */
export function cacheLoad(namespace: string): void {
  if (telemetry.counting) namespaceCells(namespace).loads++;
}

/** A cache store step (`get`, `set`, `lock`...) failed or timed out; `type` is its error code or name. */
export function cacheError(step: string, type: string): void {
  const s = telemetry;
  if (!s.counting) return;
  const key = s.errors.size < MAX_SERIES ? `${step}\0${type}` : `${step}\0_other`;
  s.errors.set(key, (s.errors.get(key) ?? 0) + 1);
}

/** The local tier published `count` invalidations for `namespace` ('' when it has none) on the channel. */
export function cacheInvalidationsSent(namespace: string, count = 1): void {
  if (telemetry.counting) namespaceCells(namespace).sent += count;
}

/** The local tier received `count` invalidations for `namespace` ('' when unknown) from the channel. */
export function cacheInvalidationsReceived(namespace: string, count = 1): void {
  if (telemetry.counting) namespaceCells(namespace).received += count;
}

/** What a rate-limit decision says, as far as metrics and spans read it. */
export interface ObservedDecision {
  readonly allowed: boolean;
  readonly policy: string;
  readonly storeError?: unknown;
}

/** The outcome attribute of a decision: a store failure is `error`, whatever `onStoreError` did. */
export function decisionOutcome(d: ObservedDecision): 'allowed' | 'refused' | 'error' {
  if (d.storeError !== undefined) return 'error';
  return d.allowed ? 'allowed' : 'refused';
}

/** Counts one rate-limit decision under its binding policy (when metrics are on). */
export function rateLimitDecision(d: ObservedDecision): void {
  if (!telemetry.counting) return;
  const { policies } = telemetry;
  let cells = policies.get(d.policy);
  if (cells === undefined) {
    const key = policies.size < MAX_SERIES ? d.policy : '_other';
    cells = policies.get(key) ?? new PolicyCells();
    policies.set(key, cells);
  }
  cells[decisionOutcome(d)]++;
}
