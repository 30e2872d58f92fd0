/**
 * The README's "Tags" examples (between the `// readme:` markers), run on memory and on Redis.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CacheEvict, Cacheable, type KvsCache } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps, type Backend } from '../cache.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

interface Post {
  id: string;
  authorId: string;
  title: string;
}
const db = {
  reads: 0,
  posts: new Map<string, Post>([['1', { id: '1', authorId: 'ann', title: 'Hello' }]]),
};

// readme: tags-methods
@Injectable()
class Blog {
  // Tags from the arguments: read with the entry, no extra round trip on a hit.
  @Cacheable({ key: (id: string) => `post:${id}`, tags: (id: string) => [`post:${id}`] })
  async post(id: string): Promise<Post | undefined> {
    db.reads++;
    return db.posts.get(id);
  }

  // Tags from the result: known once it is computed (a hit checks them in one more round trip).
  @Cacheable({
    key: (id: string) => `card:${id}`,
    tags: ['cards'],
    resultTags: (post: Post) => [`post:${post.id}`, `author:${post.authorId}`],
  })
  async card(id: string): Promise<Post> {
    db.reads++;
    return { ...db.posts.get(id)! };
  }

  // Drops post:<id> and card:<id> (and any other entry tagged post:<id>), on every instance.
  @CacheEvict({ tags: (id: string) => [`post:${id}`] })
  async rename(id: string, title: string): Promise<void> {
    db.posts.get(id)!.title = title;
  }
}
// readme: end

describe.each(['memory', 'redis'] as Backend[])('the README tags examples on %s', (backend) => {
  beforeEach(() => redis.flush());

  it('invalidates by tag through @CacheEvict and KvsCache', async () => {
    const { app, cache } = await boot({
      backend,
      url: redis.server.url,
      cache: { timeout: '5s' },
      providers: [Blog],
    });
    const blog = app.get(Blog);
    db.reads = 0;
    await blog.post('1');
    await blog.card('1');
    await blog.post('1');
    await blog.card('1');
    expect(db.reads).toBe(2);
    await blog.rename('1', 'Hello again');
    expect((await blog.post('1'))?.title).toBe('Hello again');
    expect((await blog.card('1')).title).toBe('Hello again');
    expect(db.reads).toBe(4);
    await wrapExample(cache);
    expect(db.reads).toBe(5);
  });
});

async function wrapExample(cache: KvsCache): Promise<void> {
  const loadReport = async (teamId: string) => {
    db.reads++;
    return { teamId, total: 1 };
  };
  // readme: tags-wrap
  const report = await cache.wrap('report:team-7', () => loadReport('team-7'), {
    tags: ['team:7', 'reports'],
  });
  // Later, after the team changes: one round trip for the epoch, one for the tags' keys,
  // however many entries carry them.
  await cache.invalidateTags(['team:7']);
  // readme: end
  expect(report).toEqual({ teamId: 'team-7', total: 1 });
  expect(await cache.get('report:team-7')).toBeUndefined();
  expect(cache.stats().tagInvalidations).toBe(2);
}
