import { cacheMessages } from '../cache.messages.js';
import { computed, type Outcome } from '../engine/cache.engine.js';
import type { Flight, SpaceContext } from '../engine/cache.space.js';
import type { GraceFlight, LoadWaiter } from '../grace/grace.waiter.js';
import type { CachePlan, CacheWriter } from '../engine/cache.writer.js';
import { valueKey } from '../entry/cache.keys.js';
import { tracedLoad } from '../../telemetry/telemetry.traces.js';
import type { CallTags } from '../tags/tags.call.js';
import { SKIP } from '../tags/tags.versions.js';
import { valuesOf } from './batch.result.js';
import { readTagsBefore, tagsToRecordMany } from './batch.tags.js';
import type { Gathered } from './batch.wait.js';

/** A loader of many keys at once, and what decides per key how its value is stored. */
export interface BatchLoad {
  /** Resolves the values of `missing` (relative keys): an array in their order, or a Map. */
  readonly compute: (missing: string[]) => Promise<unknown>;
  /** The veto on storing one key's value. */
  readonly unless?: ((value: unknown, key: string) => boolean) | undefined;
  /** The tags of one key's entry (checked; may throw KvsInvalidArgumentError); undefined: none. */
  readonly tags?: ((key: string) => CallTags | undefined) | undefined;
  /** The ttl chosen from one key's value (ms or a duration string), instead of the plan's. */
  readonly ttl?: ((value: unknown, key: string) => unknown) | undefined;
}

/**
 * The loading half of batches: one loader call for the missing keys of a batch (registered as
 * flights, written back unless cancelled, each guarded like a single call's load: a failure with
 * a graced entry backs that entry off), and one background call for its stale keys.
 */
export class BatchLoads {
  constructor(
    private readonly ctx: SpaceContext,
    private readonly writer: CacheWriter,
    private readonly waiter: LoadWaiter,
  ) {}

  /**
   * Loads `keys` with one call of the loader, as flights of this process that others join (with
   * the graced entries read for them), and adds them to `found.pending`.
   */
  start(plan: CachePlan, keys: string[], load: BatchLoad, write: boolean, found: Gathered): void {
    const { flights } = plan.space;
    const own = keys.map((key): GraceFlight<Outcome> => ({
      promise: undefined as never,
      cancelled: false,
      tags: found.tags?.get(key),
      graced: found.graced.get(key)?.bytes,
    }));
    const all = this.#loadMany(plan, keys, load, own, write);
    keys.forEach((key, i) => {
      const flight = own[i]!;
      const storeKey = valueKey(plan, key);
      const loading = all.then((outcomes) => outcomes[i]!);
      flight.promise = this.waiter.guard(plan, storeKey, flight, loading);
      plan.space.supersede(storeKey);
      flights.set(storeKey, flight);
      found.pending.set(key, { flight, own: true });
      const leave = (): void => {
        if (flights.get(storeKey) === flight) flights.delete(storeKey);
      };
      flight.promise.then(leave, leave);
      this.waiter.watch(plan, storeKey, flight);
    });
  }

  /**
   * Runs the loader once for `keys`, then stores each value unless its flight was cancelled (an
   * eviction, a write or a tag invalidation of that key meanwhile) or `write` is off (the read
   * failed). Tagged entries record the versions read before the load (read now for the flights
   * whose versions no read fetched yet: keys answered by the local tier).
   */
  async #loadMany(
    plan: CachePlan,
    keys: string[],
    load: BatchLoad,
    flights: readonly Flight<unknown>[],
    write: boolean,
  ): Promise<Outcome[]> {
    this.ctx.stats.loads++;
    const tags = flights.map((flight) => flight.tags);
    const tagged = write && tags.some((t) => t !== undefined);
    const unread = tagged ? tags.filter((t): t is CallTags => t !== undefined && !t.read) : [];
    if (unread.length > 0) await readTagsBefore(plan, unread);
    const result = await tracedLoad(plan.namespace, plan.label, () => load.compute([...keys]));
    const values = valuesOf(result, keys, plan.label);
    const live = (i: number) => write && !flights[i]!.cancelled;
    const exts = tagged ? await tagsToRecordMany(plan, tags, values, live) : [];
    return Promise.all(
      values.map(async (value, i) => {
        const ext = exts[i];
        const stored = live(i) && ext !== SKIP;
        const bytes = stored ? await this.#store(plan, keys[i]!, value, load, ext) : undefined;
        return computed(value, bytes, this.ctx);
      }),
    );
  }

  /** Stores one loaded value (the writer seals, vetoes, dates and fills the local tier). */
  #store(
    plan: CachePlan,
    key: string,
    value: unknown,
    load: BatchLoad,
    ext: Buffer | undefined,
  ): Promise<Buffer | undefined> {
    const { unless, ttl } = load;
    const veto = unless && ((v: unknown) => unless(v, key));
    return this.writer.store(plan, key, value, veto, ext, ttl && ((v: unknown) => ttl(v, key)));
  }

  /** Refreshes the stale keys not refreshing yet, with one background call of the loader. */
  refresh(plan: CachePlan, keys: string[], load: BatchLoad, found: Gathered): void {
    const { refreshing } = plan.space;
    const todo = keys.filter((key) => !refreshing.has(valueKey(plan, key)));
    if (todo.length === 0) return;
    const tasks = todo.map((key): Flight<void> => ({
      promise: undefined as never,
      cancelled: false,
      tags: found.tags?.get(key),
    }));
    const run = this.#loadMany(plan, todo, load, tasks, true)
      .then(
        () => undefined,
        (err: unknown) =>
          this.ctx.log.warn(`refresh:${plan.label}`, () =>
            cacheMessages.refreshFailed(plan.label, err),
          ),
      )
      .finally(() => {
        todo.forEach((key, i) => {
          const storeKey = valueKey(plan, key);
          if (refreshing.get(storeKey) === tasks[i]) refreshing.delete(storeKey);
        });
      });
    todo.forEach((key, i) => {
      tasks[i]!.promise = run;
      refreshing.set(valueKey(plan, key), tasks[i]!);
    });
  }
}
