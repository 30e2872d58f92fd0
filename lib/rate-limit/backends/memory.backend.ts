import { evaluate, type Evaluation } from './memory.algorithms.js';
import type { Counter, MemoryCounters } from './memory.counters.js';
import type {
  BackendDecision,
  CounterRequest,
  RateLimitBackend,
} from './rate-limit-backend.contract.js';

/** Counters examined for expiry per decision: reclaiming keeps pace with any rate of new keys. */
const SWEEP_STEP = 4;

/** The same algorithms as the Redis script, in process: a decision is synchronous, hence atomic. */
export class MemoryRateLimitBackend implements RateLimitBackend {
  readonly remote = false;

  constructor(
    readonly counters: MemoryCounters,
    private readonly clock: () => number,
  ) {}

  decide(requests: readonly CounterRequest[]): BackendDecision {
    const now = this.clock();
    this.counters.sweep(now, SWEEP_STEP);
    const found: (Counter | undefined)[] = [];
    const evaluations: Evaluation[] = [];
    let allowed = true;
    for (const { key, policy, cost } of requests) {
      const counter = this.counters.get(key, now);
      const evaluation = evaluate(
        policy.code,
        policy.limit,
        policy.window,
        cost,
        counter,
        now,
        true,
      );
      found.push(counter);
      evaluations.push(evaluation);
      if (!evaluation.allowed) allowed = false;
    }
    if (allowed) {
      evaluations.forEach((evaluation, i) => {
        if (evaluation.next !== undefined) {
          this.counters.put(requests[i]!.key, found[i], evaluation.next, now);
        }
      });
      return { allowed, counters: evaluations };
    }
    // Refused: the policies that would have admitted the request report their unspent state.
    const counters = evaluations.map((evaluation, i) => {
      if (!evaluation.allowed) return evaluation;
      const { policy, cost } = requests[i]!;
      return evaluate(policy.code, policy.limit, policy.window, cost, found[i], now, false);
    });
    return { allowed, counters };
  }
}
