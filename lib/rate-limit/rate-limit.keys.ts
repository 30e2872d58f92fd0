import { KvsInvalidArgumentError } from '../store/index.js';
import type { CounterRequest } from './backends/index.js';
import type { ResolvedPolicy } from './rate-limit.policy.js';

/**
 * The counter key of `key` under `policy`: `<prefix>{key}:<name>:<algorithm code>`. The key becomes
 * the Redis Cluster hash tag unless it already holds one (`{user:42}:burst` keeps `user:42`).
 */
export function counterKey(prefix: string, key: string, policy: ResolvedPolicy): string {
  return baseKey(prefix, key) + policy.suffix;
}

/**
 * `<prefix>{key}`: what the counters and the lockout of `key` start with, and what the deny
 * cache's invalidations name.
 */
export function baseKey(prefix: string, key: string): string {
  return prefix + (key.indexOf('{') >= 0 && hashTag(key) !== key ? key : `{${key}}`);
}

/**
 * The lockout key of a base key: `<prefix>{key}:blocked`, one for every policy of the key (a
 * counter key ends in `:<name>:<one-letter code>`, so the two never meet).
 */
export const blockKeyOf = (base: string): string => `${base}:blocked`;

/** The part of a key Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/** All counters of one decision must live in one hash slot, or the script cannot run on a Cluster. */
export function assertSharedTag(requests: readonly CounterRequest[]): void {
  const first = requests[0]!;
  const tag = hashTag(first.key);
  const other = requests.find((r) => hashTag(r.key) !== tag);
  if (other === undefined) return;
  throw new KvsInvalidArgumentError(
    `Policies "${first.policy.name}" and "${other.policy.name}" are decided together but count under keys ${JSON.stringify(first.key)} and ${JSON.stringify(other.key)}, ` +
      'which Redis Cluster would put in different hash slots, so no single atomic step could decide them. ' +
      'Give their keys a common hash tag (e.g. key: () => `{user:${id}}` and key: () => `{user:${id}}:ip:${ip}`), or decide them separately.',
  );
}
