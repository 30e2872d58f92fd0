/**
 * @Cacheable on services, end to end: real Nest apps over the memory store and a real
 * redis-server. Keys, condition/unless, null results, codec round trips, copies, errors,
 * single-flight, TTL, and the instance wiring (outside Nest, two apps, request scope).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Inject, Injectable, Logger, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Cacheable, hashArguments, KvsCache } from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { BACKENDS, boot, closeApps, deferred, type Backend } from './cache.fixtures.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(() => closeApps());
afterAll(() => stopAll(), 30_000);

interface Profile {
  id: string;
  tags: string[];
}

@Injectable()
class Profiles {
  calls = 0;
  gate: Promise<void> | undefined;

  @Cacheable()
  async find(id: string, filter?: { active?: boolean; role?: string }): Promise<Profile> {
    this.calls++;
    await this.gate;
    return { id, tags: filter?.role === undefined ? [] : [filter.role] };
  }

  @Cacheable({ key: (id: string) => `profile:${id}`, namespace: 'people', ttl: 5_000 })
  async byKey(id: string): Promise<Profile> {
    this.calls++;
    return { id, tags: [] };
  }

  @Cacheable({ key: 'the-count' })
  async count(): Promise<number> {
    this.calls++;
    return 42;
  }

  @Cacheable({
    condition: (id: string) => !id.startsWith('live:'),
    unless: (result: Profile | null) => result === null,
  })
  async guarded(id: string): Promise<Profile | null> {
    this.calls++;
    return id.endsWith(':missing') ? null : { id, tags: [] };
  }

  @Cacheable()
  async nothing(kind: 'null' | 'undefined'): Promise<null | undefined> {
    this.calls++;
    return kind === 'null' ? null : undefined;
  }

  @Cacheable({ cacheNull: false })
  async nothingUncached(): Promise<null> {
    this.calls++;
    return null;
  }

  @Cacheable()
  async failing(message: string): Promise<string> {
    this.calls++;
    throw new TypeError(message);
  }
}

@Injectable()
class Rich {
  calls = 0;
  value: unknown;

  @Cacheable()
  async load(): Promise<unknown> {
    this.calls++;
    return this.value;
  }
}

function richValue() {
  return {
    date: new Date('2026-01-02T03:04:05.678Z'),
    big: 2n ** 70n,
    negative: -(2n ** 64n),
    buffer: Buffer.from([0, 1, 2, 255]),
    bytes: new Uint8Array([9, 8, 7]),
    floats: new Float64Array([1.5, -0, NaN]),
    map: new Map<unknown, unknown>([
      ['a', 1],
      [2, { nested: new Set([1, 'two']) }],
    ]),
    set: new Set([new Date(0), 'x']),
    nested: { deep: [{ deeper: [null, undefined, 0, ''] }] },
    missing: undefined,
    numbers: [NaN, Infinity, -Infinity, -0, 1e-7],
    regex: /a+b/gi,
    tagLike: { $t: 'D', v: 1 },
    ['__proto__']: 'plain key',
  };
}

describe.each(BACKENDS)('@Cacheable on a service (%s)', (backend: Backend) => {
  const start = () => boot({ backend, url: server.url, providers: [Profiles, Rich] });

  it('answers the second call from the cache, under <Class>.<method>:<hash of the arguments>', async () => {
    const { app, store, cache } = await start();
    const profiles = app.get(Profiles);
    const first = await profiles.find('1');
    const second = await profiles.find('1');
    expect(profiles.calls).toBe(1);
    expect(second).toEqual({ id: '1', tags: [] });
    expect(second).not.toBe(first);
    expect(await store.list('cache:')).toEqual([`cache:Profiles.find:${hashArguments(['1'])}`]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1, writes: 1, errors: 0 });
  });

  it('hashes arguments so object key order does not matter, but values do', async () => {
    const { app } = await start();
    const profiles = app.get(Profiles);
    await profiles.find('1', { active: true, role: 'admin' });
    await profiles.find('1', { role: 'admin', active: true });
    expect(profiles.calls).toBe(1);
    await profiles.find('1', { role: 'user', active: true });
    await profiles.find('2', { role: 'admin', active: true });
    expect(profiles.calls).toBe(3);
    expect(hashArguments([{ a: 1, b: [1, 2] }])).toBe(hashArguments([{ b: [1, 2], a: 1 }]));
    expect(hashArguments([{ a: 1 }])).not.toBe(hashArguments([{ a: '1' }]));
  });

  it('takes the key from a string or a function of the arguments, within a namespace', async () => {
    const { app, store } = await start();
    const profiles = app.get(Profiles);
    await profiles.byKey('7');
    await profiles.byKey('7');
    await profiles.count();
    await profiles.count();
    expect(profiles.calls).toBe(2);
    expect(await store.list()).toEqual(['cache:the-count', 'people:profile:7']);
    const ttl = await store.ttl('people:profile:7');
    expect(ttl).toBeGreaterThan(3_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
  });

  it('skips the cache when condition is false, and does not store when unless is true', async () => {
    const { app, store } = await start();
    const profiles = app.get(Profiles);
    await profiles.guarded('live:1');
    await profiles.guarded('live:1');
    expect(profiles.calls).toBe(2);
    expect(await profiles.guarded('x:missing')).toBeNull();
    expect(await profiles.guarded('x:missing')).toBeNull();
    expect(profiles.calls).toBe(4);
    expect(await store.list()).toEqual([]);
    await profiles.guarded('x');
    await profiles.guarded('x');
    expect(profiles.calls).toBe(5);
  });

  it('caches null and undefined as hits, distinct from a miss; cacheNull: false turns it off', async () => {
    const { app, cache } = await start();
    const profiles = app.get(Profiles);
    expect(await profiles.nothing('null')).toBeNull();
    expect(await profiles.nothing('null')).toBeNull();
    expect(await profiles.nothing('undefined')).toBeUndefined();
    expect(await profiles.nothing('undefined')).toBeUndefined();
    expect(profiles.calls).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 });
    await profiles.nothingUncached();
    await profiles.nothingUncached();
    expect(profiles.calls).toBe(4);
  });

  it('round-trips Date, BigInt, Buffer, typed arrays, Map, Set and nested values exactly', async () => {
    const { app } = await start();
    const rich = app.get(Rich);
    rich.value = { ...richValue(), invalid: new Date(NaN) };
    const computed = await rich.load();
    const hit = await rich.load();
    expect(rich.calls).toBe(1);
    expect(computed).toBe(rich.value);
    const { invalid, ...rest } = hit as ReturnType<typeof richValue> & { invalid: Date };
    expect(rest).toStrictEqual(richValue());
    expect(invalid).toBeInstanceOf(Date);
    expect(invalid.getTime()).toBeNaN();
    const h = rest;
    expect(Buffer.isBuffer(h.buffer)).toBe(true);
    expect(Buffer.isBuffer(h.bytes)).toBe(false);
    expect(Object.is(h.floats[1], -0)).toBe(true);
    expect(Object.is(h.numbers[3], -0)).toBe(true);
    expect(Object.hasOwn(h, 'missing')).toBe(true);
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toBe('plain key');
  });

  it('hands every caller its own copy: mutating a result changes nothing cached', async () => {
    const { app } = await start();
    const rich = app.get(Rich);
    rich.value = { list: [1, 2], map: new Map([['k', { n: 1 }]]) };
    const mine = (await rich.load()) as { list: number[]; map: Map<string, { n: number }> };
    mine.list.push(3);
    const hit = (await rich.load()) as typeof mine;
    expect(hit.list).toEqual([1, 2]);
    hit.map.get('k')!.n = 99;
    const again = (await rich.load()) as typeof mine;
    expect(again.map.get('k')).toEqual({ n: 1 });
    expect(again).not.toBe(hit);
  });

  it('caches top-level scalars and an undefined result distinctly', async () => {
    const { app } = await start();
    const rich = app.get(Rich);
    for (const value of [0, '', false, 12n, 'text']) {
      rich.value = value;
      rich.calls = 0;
      await app.get(KvsCache).evictNamespace();
      expect(await rich.load()).toBe(value);
      expect(await rich.load()).toBe(value);
      expect(rich.calls).toBe(1);
    }
  });

  it('propagates errors of the method unchanged and never caches them', async () => {
    const { app, store } = await start();
    const profiles = app.get(Profiles);
    const first = await profiles.failing('boom').catch((err: unknown) => err);
    expect(first).toBeInstanceOf(TypeError);
    expect((first as Error).message).toBe('boom');
    await expect(profiles.failing('boom')).rejects.toThrow(TypeError);
    expect(profiles.calls).toBe(2);
    expect(await store.list()).toEqual([]);
  });

  it('runs the method once for 100 concurrent calls, and gives each caller its own copy', async () => {
    const { app, cache } = await start();
    const profiles = app.get(Profiles);
    const gate = deferred();
    profiles.gate = gate.promise;
    const calls = Array.from({ length: 100 }, () => profiles.find('hot', { role: 'r' }));
    gate.resolve();
    const results = await Promise.all(calls);
    expect(profiles.calls).toBe(1);
    expect(new Set(results).size).toBe(100);
    for (const r of results) expect(r).toEqual({ id: 'hot', tags: ['r'] });
    expect(cache.stats()).toMatchObject({ misses: 100, loads: 1, writes: 1 });
  });

  it('shares a failure among concurrent callers, then retries on the next call', async () => {
    const { app } = await start();
    const profiles = app.get(Profiles);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => profiles.failing('once')),
    );
    expect(profiles.calls).toBe(1);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    await expect(profiles.failing('once')).rejects.toThrow('once');
    expect(profiles.calls).toBe(2);
  });
});

describe('the memory store clock decides expiry', () => {
  it('recomputes after the ttl passes on the store clock (no sleeping)', async () => {
    let now = 0;
    const { app } = await boot({
      backend: 'memory',
      memory: { clock: () => now },
      providers: [Profiles],
    });
    const profiles = app.get(Profiles);
    await profiles.byKey('1');
    now += 4_999;
    await profiles.byKey('1');
    expect(profiles.calls).toBe(1);
    now += 2;
    await profiles.byKey('1');
    expect(profiles.calls).toBe(2);
  });
});

describe('instance wiring', () => {
  it('keeps the method name and calls the original directly outside Nest, warning once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      expect(Profiles.prototype.find.name).toBe('find');
      const plain = new Profiles();
      await plain.find('1');
      await plain.find('1');
      expect(plain.calls).toBe(2);
      const lines = warn.mock.calls.map((c) => String(c[0]));
      expect(lines.filter((l) => l.includes('Profiles.find'))).toHaveLength(1);
      expect(lines.join('\n')).toMatch(/runs without the cache/);
    } finally {
      warn.mockRestore();
    }
  });

  it('gives two apps in one process their own runtime, store and counters', async () => {
    const a = await boot({ backend: 'memory', providers: [Profiles] });
    const b = await boot({ backend: 'redis', url: server.url, providers: [Profiles] });
    await a.app.get(Profiles).find('1');
    await a.app.get(Profiles).find('1');
    await b.app.get(Profiles).find('1');
    expect(a.app.get(Profiles).calls).toBe(1);
    expect(b.app.get(Profiles).calls).toBe(1);
    expect(a.cache.stats()).toMatchObject({ hits: 1, misses: 1 });
    expect(b.cache.stats()).toMatchObject({ hits: 0, misses: 1 });
    expect(await a.store.list()).toHaveLength(1);
    expect(await b.store.list()).toHaveLength(1);
  });

  it('skips request-scoped providers with one clear warning; their methods still work', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      calls = 0;
      constructor(@Inject(REQUEST) readonly request: unknown) {}

      @Cacheable()
      async value(): Promise<number> {
        return ++this.calls;
      }
    }
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { app } = await boot({ backend: 'memory', providers: [PerRequest] });
      const instance = await app.resolve(PerRequest);
      expect(await instance.value()).toBe(1);
      expect(await instance.value()).toBe(2);
      const lines = warn.mock.calls
        .map((c) => String(c[0]))
        .filter((l) => l.includes('PerRequest'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/request-scoped.*wrap\(key, fn\)/s);
    } finally {
      warn.mockRestore();
    }
  });
});
