/**
 * Tags, ttl functions and grace on decorated batches, on memory and on Redis: `@CacheableMany`
 * with `tags(id, ...rest)`, `resultTags(value, id, ...rest)` and `ttl(value, id, ...rest)`, sharing
 * tagged entries with `@Cacheable`, `@CachePut({ tags })` and `@CacheEvict({ tags })`.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cacheable, CacheableMany, CacheEvict, CachePut } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { thrown } from '../../support/thrown.js';
import { BACKENDS, closeApps } from '../cache.fixtures.js';
import { bootService } from './batch.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

interface Member {
  id: string;
  name: string;
  role: 'admin' | 'user';
}

@Injectable()
class Members {
  readonly rows = new Map<string, Member>([
    ['1', { id: '1', name: 'Ada', role: 'admin' }],
    ['2', { id: '2', name: 'Grace', role: 'user' }],
    ['3', { id: '3', name: 'Edsger', role: 'user' }],
  ]);
  readonly queries: string[][] = [];

  @CacheableMany({
    key: (id: string, _team: string) => `member:${id}`,
    tags: (id: string, team: string) => [`member:${id}`, `team:${team}`],
    resultTags: (member: Member) => [`role:${member.role}`],
    ttl: (member: Member) => (member.role === 'admin' ? '1m' : '1h'),
  })
  async inTeam(ids: string[], _team: string): Promise<Member[]> {
    this.queries.push(ids);
    return ids.map((id) => ({ ...this.rows.get(id)! }));
  }

  @Cacheable({ key: (id: string) => `member:${id}`, tags: (id: string) => [`member:${id}`] })
  async find(id: string): Promise<Member> {
    this.queries.push([id]);
    return { ...this.rows.get(id)! };
  }

  @CachePut({ key: (id: string) => `member:${id}`, tags: (id: string) => [`member:${id}`] })
  async rename(id: string, name: string): Promise<Member> {
    const member = { ...this.rows.get(id)!, name };
    this.rows.set(id, member);
    return member;
  }

  @CacheEvict({ tags: (team: string) => [`team:${team}`] })
  async reorganize(_team: string): Promise<void> {}

  @CacheEvict({ tags: (role: string) => [`role:${role}`] })
  async changeRole(_role: string): Promise<void> {}
}

describe.each(BACKENDS)('@CacheableMany with tags on %s', (backend) => {
  async function start() {
    const booted = await bootService(backend, redis.server.url, Members);
    return { ...booted, members: booted.service };
  }

  it('tags each id from its arguments and its value; @CacheEvict({ tags }) drops them', async () => {
    const { members } = await start();
    await members.inTeam(['1', '2', '3'], 'core');
    await members.changeRole('admin');
    await members.inTeam(['1', '2', '3'], 'core');
    expect(members.queries).toEqual([['1', '2', '3'], ['1']]);
    await members.reorganize('core');
    expect((await members.inTeam(['3', '2'], 'core')).map((m) => m.name)).toEqual([
      'Edsger',
      'Grace',
    ]);
    expect(members.queries.at(-1)).toEqual(['3', '2']);
  });

  it('shares tagged entries with @Cacheable, and chooses each ttl from the value', async () => {
    const { members, store } = await start();
    await members.inTeam(['1', '2'], 'core');
    expect(await members.find('2')).toEqual({ id: '2', name: 'Grace', role: 'user' });
    expect(members.queries).toEqual([['1', '2']]);
    const left = async (key: string) => (await store.ttl(`cache:${key}`)) ?? 0;
    expect(await left('member:1')).toBeLessThanOrEqual(60_000);
    expect(await left('member:2')).toBeGreaterThan(60_000);
  });

  it('@CachePut({ tags }) records the current versions: served until its tag is invalidated', async () => {
    const { members, cache } = await start();
    await members.find('1');
    await cache.invalidateTags('member:1');
    await members.rename('1', 'Ada L.');
    expect((await members.find('1')).name).toBe('Ada L.');
    expect(members.queries).toEqual([['1']]); // the put's entry is current: no reload
    members.rows.set('1', { id: '1', name: 'Ada Lovelace', role: 'admin' });
    await cache.invalidateTags('member:1');
    expect((await members.find('1')).name).toBe('Ada Lovelace');
  });
});

describe('tag options of batch and put decorators', () => {
  it('fail at definition when they are not tags', () => {
    expect(thrown(() => CacheableMany({ tags: 'member' as never })).message).toMatch(
      /Invalid @CacheableMany\(\) option tags: expected an array of tags/,
    );
    expect(thrown(() => CachePut({ key: 'k', resultTags: ['x'] as never })).message).toMatch(
      /@CachePut\(\).*resultTags/,
    );
    expect(thrown(() => CacheableMany({ tags: [''] })).message).toMatch(/Invalid tag at index 0/);
  });
});
