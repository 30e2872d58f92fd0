import { KvsError, type ScriptArgument } from '../../store/index.js';
import { evalNumbers, type ScriptStore } from '../../store/kvs.backend.js';
import type {
  BackendDecision,
  CounterOutcome,
  CounterRequest,
  RateLimitBackend,
} from './rate-limit-backend.contract.js';
import { RATE_LIMIT_SCRIPT } from './redis.script.js';

/**
 * Runs the rate-limit Lua script through `RedisStore.evalScript`: one round trip per decision, by
 * SHA (sent again after a `SCRIPT FLUSH` or a restart), on Redis's clock.
 */
export class RedisRateLimitBackend implements RateLimitBackend {
  readonly remote = true;

  /** `clock` exists for tests only, to run the script on a simulated timeline; omit it. */
  constructor(
    private readonly store: ScriptStore,
    private readonly clock?: () => number,
  ) {}

  async decide(requests: readonly CounterRequest[]): Promise<BackendDecision> {
    const keys: string[] = [];
    const args: ScriptArgument[] = [this.clock === undefined ? '' : String(this.clock())];
    for (const { key, policy, cost } of requests) {
      keys.push(key);
      args.push(policy.code, policy.limit, policy.window, cost);
    }
    const numbers = await evalNumbers(
      this.store,
      RATE_LIMIT_SCRIPT,
      keys,
      args,
      1 + 4 * requests.length,
      (reply) =>
        new KvsError(`The rate-limit script answered ${JSON.stringify(reply)}, not a decision.`),
    );
    const counters: CounterOutcome[] = [];
    for (let i = 1; i < numbers.length; i += 4) {
      counters.push({
        allowed: numbers[i] === 1,
        remaining: numbers[i + 1]!,
        resetMs: numbers[i + 2]!,
        retryAfterMs: numbers[i + 3]!,
      });
    }
    return { allowed: numbers[0] === 1, counters };
  }
}
