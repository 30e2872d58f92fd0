import { KvsError, type ScriptArgument } from '../../store/index.js';
import { evalNumbers, type ScriptStore } from '../../store/kvs.backend.js';
import type {
  BackendDecision,
  CounterOutcome,
  CounterRequest,
  DecideMode,
  RateLimitBackend,
} from './rate-limit-backend.contract.js';
import { BLOCK_SCRIPT, REFUND_SCRIPT, RESET_SCRIPT } from './redis.change-scripts.js';
import { RATE_LIMIT_SCRIPT } from './redis.script.js';

/**
 * Runs the rate-limit Lua scripts through `RedisStore.evalScript`: one round trip per decision
 * (and per refund, reset or lockout), by SHA (sent again after a `SCRIPT FLUSH` or a restart), on
 * Redis's clock.
 */
export class RedisRateLimitBackend implements RateLimitBackend {
  readonly remote = true;

  /** `clock` exists for tests only, to run the scripts on a simulated timeline; omit it. */
  constructor(
    private readonly store: ScriptStore,
    private readonly clock?: () => number,
  ) {}

  async decide(
    requests: readonly CounterRequest[],
    mode: DecideMode = 'spend',
  ): Promise<BackendDecision> {
    const keys: string[] = [];
    const args: ScriptArgument[] = [this.#now(), mode];
    for (const { key, policy, cost } of requests) {
      keys.push(key);
      args.push(policy.code, policy.limit, policy.window, cost, policy.block);
    }
    for (const { blockKey } of requests) keys.push(blockKey);
    const numbers = await evalNumbers(
      this.store,
      RATE_LIMIT_SCRIPT,
      keys,
      args,
      1 + 4 * requests.length,
      unexpected,
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

  async refund(requests: readonly CounterRequest[]): Promise<boolean> {
    const args: ScriptArgument[] = [this.#now()];
    for (const { policy, cost } of requests) {
      args.push(policy.code, policy.limit, policy.window, cost);
    }
    const reply = await this.store.evalScript(
      REFUND_SCRIPT,
      requests.map((r) => r.key),
      args,
    );
    if (reply !== 0 && reply !== 1) throw unexpected(reply);
    return reply === 1;
  }

  async reset(keys: readonly string[]): Promise<void> {
    await this.store.evalScript(RESET_SCRIPT, keys, []);
  }

  async block(blockKey: string, ms: number): Promise<void> {
    await this.store.evalScript(BLOCK_SCRIPT, [blockKey], [this.#now(), ms]);
  }

  #now(): string {
    return this.clock === undefined ? '' : String(this.clock());
  }
}

function unexpected(reply: unknown): KvsError {
  return new KvsError(`The rate-limit script answered ${JSON.stringify(reply)}, not a decision.`);
}
