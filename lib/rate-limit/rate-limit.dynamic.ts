import type { ExecutionContext } from '@nestjs/common';
import { KvsInvalidArgumentError } from '../store/index.js';
import { assertCost, assertLimit, checkWindow, type ResolvedPolicy } from './rate-limit.policy.js';

/**
 * Resolves the per-request values (`limit`, `window`, `cost` given as functions of the context)
 * of `policies`, once per request, and checks them as fixed values are checked. Returns the same
 * array, synchronously, when no policy is dynamic (the usual case, kept off the hot path).
 */
export function bindPolicies(
  context: ExecutionContext,
  policies: readonly ResolvedPolicy[],
): readonly ResolvedPolicy[] | Promise<readonly ResolvedPolicy[]> {
  if (policies.every((p) => p.dynamic === undefined)) return policies;
  return Promise.all(policies.map((p) => bindPolicy(context, p)));
}

async function bindPolicy(
  context: ExecutionContext,
  policy: ResolvedPolicy,
): Promise<ResolvedPolicy> {
  const dynamic = policy.dynamic;
  if (dynamic === undefined) return policy;
  const named = `Invalid rate-limit policy "${policy.name}"`;
  const limit = dynamic.limit === undefined ? policy.limit : await dynamic.limit(context);
  const given = dynamic.window === undefined ? policy.window : await dynamic.window(context);
  const cost = dynamic.cost === undefined ? policy.cost : await dynamic.cost(context);
  try {
    assertLimit(limit, dynamic.limit === undefined ? 'limit' : 'limit(context)');
    const window =
      dynamic.window === undefined ? policy.window : checkWindow(given, 'window(context)');
    assertCost(cost, limit, dynamic.cost === undefined ? 'cost' : 'cost(context)');
    return { ...policy, limit, window, cost, dynamic: undefined };
  } catch (err) {
    // The policy's own check names the field and the fix; say which policy, as it runs per request.
    const problem = (err as Error).message.replace(/^Invalid rate-limit policy: /, '');
    throw new KvsInvalidArgumentError(`${named}: ${problem}`);
  }
}

/** Throws when a policy needs a context to be resolved, where there is none (RateLimiter calls). */
export function assertStatic(policies: readonly ResolvedPolicy[], method: string): void {
  const dynamic = policies.find((p) => p.dynamic !== undefined);
  if (dynamic === undefined) return;
  throw new KvsInvalidArgumentError(
    `RateLimiter.${method}() cannot use policy "${dynamic.name}": its limit, window or cost is a function of the execution context, which only the guard has. ` +
      `Pass the values instead, e.g. { ...policy, limit: 100, window: '1m', cost: 1 }.`,
  );
}
