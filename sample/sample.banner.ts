import { RedisStore, type KvsStore } from '../lib/index.js';
import type { SampleConfig } from './sample.config.js';

/** The lines the sample prints at start: what it runs on, and a curl command per feature. */
export function sampleBanner(config: SampleConfig, store: KvsStore): string {
  const base = `http://localhost:${config.port}`;
  const json = `-H 'content-type: application/json'`;
  const on =
    store instanceof RedisStore
      ? store.toString() // the target, without a password
      : 'memory (this process only; KVS_URL=redis://... or KVS_CLUSTER=redis://h:p,... for Redis)';
  return [
    `nestjs-kvs sample on ${base}, store: ${on}`,
    'Try:',
    '  # the store: keys with a TTL, listed by prefix',
    `  curl -X PUT ${base}/keys/greeting ${json} -d '{"value":"hello","ttlMs":60000}'`,
    `  curl ${base}/keys/greeting; curl '${base}/keys?prefix=gr'`,
    `  # caching: ~${config.catalogDelayMs} ms the first time, ~1 ms after; PUT evicts`,
    `  curl -w ' %{time_total}s\\n' ${base}/products/1`,
    `  curl -X PUT ${base}/products/1 ${json} -d '{"priceCents":990}'; curl ${base}/products/stats`,
    '  # batches and tags: one catalog read for the ids not cached; a discount drops its whole category',
    `  curl '${base}/products?ids=1,2,3'; curl -X POST ${base}/categories/brewing/discount ${json} -d '{"percent":10}'`,
    '  # grace: in a catalog outage, past the 30 s ttl, a product read in the last 10 min still answers',
    `  curl -X POST ${base}/catalog/outage; sleep 31; curl -w ' %{time_total}s\\n' ${base}/products/1`,
    '  # rate limiting: 5 per 10 s, then 429 with Retry-After',
    `  for i in 1 2 3 4 5 6; do curl -si ${base}/limited | grep -iE '^(HTTP|ratelimit|retry)'; done`,
    '  # sessions: log in, who am I, log out (everywhere)',
    `  curl -c jar ${json} -d '{"user":"ann"}' ${base}/auth/login; curl -b jar ${base}/auth/whoami`,
    `  curl -b jar -X POST ${base}/auth/logout-everywhere`,
    `  # feature flags: flip one at runtime, no restart (other instances within milliseconds, ${config.flagsRefreshMs} ms at most)`,
    `  curl ${base}/checkout; curl -X PUT ${base}/admin/flags/newCheckout ${json} -d '{"value":true}'`,
    '  # OAuth state: accepted once; replaying the callback URL gets 400',
    `  curl -sL -w ' %{url_effective}\\n' ${base}/oauth/start?returnTo=/cart`,
    '  # observability: X-Cache on cached routes; OpenTelemetry metrics for Prometheus',
    `  curl -si ${base}/products/1 | grep -i x-cache; curl -s ${base}/metrics | grep '^kvs_'`,
  ].join('\n');
}
