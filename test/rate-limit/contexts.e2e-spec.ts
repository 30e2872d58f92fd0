/**
 * RateLimitGuard beyond HTTP, each on its real stack with a real client, on memory and on Redis:
 * WebSocket gateways (socket.io and ws adapters), GraphQL resolvers (Apollo, queries and
 * mutations) and microservice handlers (TCP). Each counts under the client's address by default,
 * refuses the way its context expects, and sets headers only where there is an HTTP response.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { RateLimitGuard } from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';
import { graphqlApp, rpcApp, trackers, wsApp, type WsKind } from './rate-limit.contexts.js';

const redis = useRedisServer();
const LOOPBACK = '127.0.0.1';

// readme: rate-limit-context-tracker
/** Counts GraphQL calls by their API key header, everything else by address. */
@Injectable()
class GraphQLApiKeyGuard extends RateLimitGuard {
  protected override getTracker(req: object, context: ExecutionContext): string | Promise<string> {
    if (context.getType<GqlContextType>() !== 'graphql') return super.getTracker(req, context);
    const { req: http } = GqlExecutionContext.create(context).getContext<{
      req: { headers: Record<string, string | undefined> };
    }>();
    return `key:${http.headers['x-api-key'] ?? 'none'}`;
  }
}
// readme: end

describe.each(redis.moduleOptions({ keyPrefix: 'ctx:' }))('RateLimitGuard on %s', (_, store) => {
  beforeEach(() => redis.flush());

  describe.each<WsKind>(['socket.io', 'ws'])('WebSocket gateway, %s adapter', (kind) => {
    it('counts per client address and refuses with a WsException the client receives', async () => {
      const call = await (await wsApp(kind, store())).connect();
      expect(await call({ n: 1 })).toEqual({ event: 'pong', data: { n: 1 } });
      expect(await call({ n: 2 })).toEqual({ event: 'pong', data: { n: 2 } });
      const refused = await call({ n: 3 });
      expect(refused.event).toBe('exception');
      expect(refused.data).toEqual({
        status: 'error',
        message: 'Too Many Requests',
        code: 'RATE_LIMITED',
        retryAfter: expect.any(Number),
      });
      const { retryAfter } = refused.data as { retryAfter: number };
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(trackers).toEqual([LOOPBACK, LOOPBACK, LOOPBACK]);
    });

    it('counts a reconnected client under the same address', async () => {
      const app = await wsApp(kind, store());
      const first = await app.connect();
      await first(1);
      await first(2);
      const again = await app.connect(); // a new connection from the same address
      expect((await again(3)).event).toBe('exception');
    });
  });

  describe('GraphQL resolver, Apollo on Express', () => {
    it('limits a query: GraphQL error with code and retryAfter, headers on the HTTP response', async () => {
      const post = await graphqlApp(store());
      for (const remaining of [1, 0]) {
        const ok = await post('{ hello }');
        expect(ok.body).toEqual({ data: { hello: 'hi' } });
        expect(ok.headers.get('ratelimit')).toMatch(
          new RegExp(`^"2-in-60s-fixed";r=${remaining};t=\\d+$`),
        );
      }
      const refused = await post('{ hello }');
      expect(refused.status).toBe(200);
      expect(refused.body.data).toEqual({ hello: null });
      expect(refused.body.errors).toEqual([
        {
          message: 'Too Many Requests',
          locations: [{ line: 1, column: 3 }],
          path: ['hello'],
          extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
        },
      ]);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBe(retryAfter);
      expect(trackers).toEqual([LOOPBACK, LOOPBACK, LOOPBACK]);
    });

    it('limits a mutation, each field on its own count', async () => {
      const post = await graphqlApp(store());
      await post('{ hello }');
      await post('{ hello }');
      const mutation = 'mutation { rename(name: "ada") }';
      expect((await post(mutation)).body).toEqual({ data: { rename: 'ada' } });
      expect((await post(mutation)).body).toEqual({ data: { rename: 'ada' } });
      const refused = await post(mutation);
      expect(refused.body.data).toEqual({ rename: null });
      expect(refused.body.errors?.[0]).toMatchObject({
        path: ['rename'],
        extensions: { code: 'RATE_LIMITED' },
      });
    });

    it('counts two fields of one operation once each', async () => {
      const post = await graphqlApp(store());
      const both = await post('{ hello again: hello }');
      expect(both.body).toEqual({ data: { hello: 'hi', again: 'hi' } });
      const refused = await post('{ hello }');
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    });

    it('counts under an overridden tracker (an API key header)', async () => {
      const post = await graphqlApp(store(), { guard: GraphQLApiKeyGuard });
      const as = (key: string) => post('{ hello }', { 'x-api-key': key });
      await as('key-a');
      await as('key-a');
      expect((await as('key-a')).body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect((await as('key-b')).body).toEqual({ data: { hello: 'hi' } });
    });
  });

  describe('microservice handler, TCP transport', () => {
    it('counts per caller address and refuses with an RpcException the ClientProxy receives', async () => {
      const send = await rpcApp(store());
      await expect(send({ n: 1 })).resolves.toEqual({ n: 1 });
      await expect(send({ n: 2 })).resolves.toEqual({ n: 2 });
      const refused = await send({ n: 3 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toEqual({
        status: 'error',
        message: 'Too Many Requests',
        code: 'RATE_LIMITED',
        retryAfter: expect.any(Number),
      });
      expect(trackers).toEqual([LOOPBACK, LOOPBACK, LOOPBACK]);
    });
  });
});

describe('RateLimitGuard beyond HTTP, the store down under onStoreError: deny', () => {
  it('refuses with code RATE_LIMIT_UNAVAILABLE and no retryAfter in every context', async () => {
    const [, store] = redis.moduleOptions({ commandTimeout: 500, keyPrefix: 'down:' })[1]!;
    const options = { rateLimit: { onStoreError: 'deny' as const } };
    const ws = await (await wsApp('ws', store(), options)).connect();
    const io = await (await wsApp('socket.io', store(), options)).connect();
    const post = await graphqlApp(store(), options);
    const send = await rpcApp(store(), options);
    const body = {
      status: 'error',
      message: 'Rate limiting is unavailable; try again shortly.',
      code: 'RATE_LIMIT_UNAVAILABLE',
    };
    await redis.server.kill();
    try {
      expect(await ws(1)).toEqual({ event: 'exception', data: body });
      expect(await io(1)).toEqual({ event: 'exception', data: body });
      const refused = await post('{ hello }');
      expect(refused.body.errors?.[0]).toMatchObject({
        message: body.message,
        extensions: { code: 'RATE_LIMIT_UNAVAILABLE' },
      });
      expect(refused.body.errors?.[0]?.extensions).not.toHaveProperty('retryAfter');
      expect(refused.headers.get('retry-after')).toBeNull();
      await expect(send(1)).rejects.toEqual(body);
    } finally {
      await redis.server.restart();
    }
  });
});
