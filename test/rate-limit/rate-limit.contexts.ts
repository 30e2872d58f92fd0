/**
 * The non-HTTP apps of the context e2e tests, each on its real stack, with a real client:
 * a WebSocket gateway (socket.io or ws adapter, socket.io-client / ws), a GraphQL resolver
 * (Apollo on Express, HTTP POST /graphql) and a microservice handler (TCP transport, ClientProxy).
 * Every limited handler allows 2 calls a minute (fixed window); the guard records the trackers it counts under.
 */
import { afterEach } from '@jest/globals';
import {
  Controller,
  Injectable,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
  type ModuleMetadata,
  type Type,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, GraphQLModule, Mutation, Query, Resolver } from '@nestjs/graphql';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import type { AddressInfo, Server } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import {
  KvsModule,
  RateLimit,
  RateLimitGuard,
  RateLimitModule,
  type KvsModuleOptions,
  type RateLimitModuleOptions,
  type RateLimitPolicy,
} from '../../lib/index.js';

/** Trackers the guard counted under, in call order (reset after each test). */
export const trackers: string[] = [];

/** RateLimitGuard as it ships, recording the tracker its default `getTracker` found. */
@Injectable()
export class RecordingGuard extends RateLimitGuard {
  protected override generateKey(
    context: ExecutionContext,
    tracker: string,
    policy: RateLimitPolicy,
  ): string {
    trackers.push(tracker);
    return super.generateKey(context, tracker, policy);
  }
}

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  trackers.length = 0;
  await Promise.all(open.splice(0).map((c) => c.close()));
});

// readme: rate-limit-gateway
@WebSocketGateway()
export class PingGateway {
  @SubscribeMessage('ping')
  @RateLimit({ limit: 2, window: '1m', algorithm: 'fixed-window' })
  ping(@MessageBody() data: unknown): { event: string; data: unknown } {
    return { event: 'pong', data };
  }
}
// readme: end

/** A WebSocket reply: `pong` with the data sent, or Nest's `exception` event. */
export interface WsReply {
  event: string;
  data: unknown;
}

export type WsKind = 'socket.io' | 'ws';

/** Sends `ping` with `data` and resolves with the next `pong` or `exception`. */
export type WsCall = (data: unknown) => Promise<WsReply>;

/** How a test app is set up beyond its store. */
export interface AppOptions {
  /** The global guard; default RecordingGuard. */
  guard?: Type<RateLimitGuard>;
  /** RateLimitModule options. */
  rateLimit?: RateLimitModuleOptions;
}

/** The app's module: `metadata` with the store, the rate-limit options and the global guard. */
function moduleOf(
  store: KvsModuleOptions,
  metadata: ModuleMetadata,
  { guard = RecordingGuard, rateLimit = {} }: AppOptions,
): ModuleMetadata {
  return {
    ...metadata,
    imports: [
      KvsModule.forRoot(store),
      RateLimitModule.forRoot(rateLimit),
      ...(metadata.imports ?? []),
    ],
    providers: [{ provide: APP_GUARD, useClass: guard }, ...(metadata.providers ?? [])],
  };
}

/** An Express app with PingGateway on `kind`, listening on a free port; connects clients to it. */
export async function wsApp(
  kind: WsKind,
  store: KvsModuleOptions,
  options: AppOptions = {},
): Promise<{ connect(): Promise<WsCall> }> {
  const moduleRef = await Test.createTestingModule(
    moduleOf(store, { providers: [PingGateway] }, options),
  ).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useWebSocketAdapter(kind === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
  open.push(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { connect: () => (kind === 'ws' ? wsClient(port) : ioClient(port)) };
}

async function ioClient(port: number): Promise<WsCall> {
  const socket: Socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  open.push({ close: async () => void socket.disconnect() });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return (data) =>
    new Promise((resolve) => {
      const reply = (event: string) => (payload: unknown) => {
        socket.off('pong').off('exception');
        resolve({ event, data: payload });
      };
      socket.once('pong', reply('pong')).once('exception', reply('exception'));
      socket.emit('ping', data);
    });
}

async function wsClient(port: number): Promise<WsCall> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  open.push({ close: async () => void socket.close() });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return (data) =>
    new Promise((resolve) => {
      socket.once('message', (raw: Buffer) => resolve(JSON.parse(raw.toString()) as WsReply));
      socket.send(JSON.stringify({ event: 'ping', data }));
    });
}

// readme: rate-limit-resolver
@Resolver()
export class GreetingResolver {
  @Query('hello')
  @RateLimit({ limit: 2, window: '1m', algorithm: 'fixed-window' })
  hello(): string {
    return 'hi';
  }

  @Mutation('rename')
  @RateLimit({ limit: 2, window: '1m', algorithm: 'fixed-window' })
  rename(@Args('name') name: string): string {
    return name;
  }
}
// readme: end

const TYPE_DEFS = `
  type Query { hello: String }
  type Mutation { rename(name: String!): String }
`;

/** A GraphQL response as the client reads it, with the HTTP headers it came with. */
export interface GraphQLReply {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  };
}

/** Posts `query` to the app's /graphql. */
export type GraphQLCall = (
  query: string,
  headers?: Record<string, string>,
) => Promise<GraphQLReply>;

/** An Express app serving GreetingResolver with Apollo on a free port. */
export async function graphqlApp(
  store: KvsModuleOptions,
  options: AppOptions = {},
): Promise<GraphQLCall> {
  const moduleRef = await Test.createTestingModule(
    moduleOf(
      store,
      {
        imports: [
          GraphQLModule.forRoot<ApolloDriverConfig>({
            driver: ApolloDriver,
            typeDefs: TYPE_DEFS,
            graphiql: false,
            includeStacktraceInErrorResponses: false,
          }),
        ],
        providers: [GreetingResolver],
      },
      options,
    ),
  ).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  open.push(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return async (query, headers = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as GraphQLReply['body'],
    };
  };
}

// readme: rate-limit-message-pattern
@Controller()
export class PingController {
  @MessagePattern('ping')
  @RateLimit({ limit: 2, window: '1m', algorithm: 'fixed-window' })
  ping(@Payload() data: unknown): unknown {
    return data;
  }
}
// readme: end

/** Sends `ping` with `data`; rejects with what the server's exception filter sent. */
export type RpcCall = (data: unknown) => Promise<unknown>;

/** A TCP microservice serving PingController on a free port, and a ClientProxy connected to it. */
export async function rpcApp(store: KvsModuleOptions, options: AppOptions = {}): Promise<RpcCall> {
  const moduleRef = await Test.createTestingModule(
    moduleOf(store, { controllers: [PingController] }, options),
  ).compile();
  const app: INestMicroservice = moduleRef.createNestMicroservice({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: 0 },
    logger: false,
  });
  open.push(app);
  await app.listen();
  const { port } = app.unwrap<Server>().address() as AddressInfo;
  const client: ClientProxy = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
  });
  open.push(client);
  await client.connect();
  return (data) => lastValueFrom(client.send<unknown>('ping', data));
}
