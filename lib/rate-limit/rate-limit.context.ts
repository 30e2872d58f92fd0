import { IntrinsicException, type ExecutionContext } from '@nestjs/common';
import { KvsInvalidArgumentError } from '../store/index.js';
import {
  RateLimitExceededException,
  RateLimitUnavailableException,
} from './rate-limit.exception.js';
import { retryAfterSeconds } from './rate-limit.headers.js';
import type { RateLimitDecision } from './rate-limit.interfaces.js';

/**
 * What RateLimitGuard reads from the execution context of each kind Nest runs guards in: HTTP
 * (Express, Fastify), WebSockets (socket.io and ws adapters), GraphQL (resolvers) and microservice
 * RPC. Nothing here imports @nestjs/websockets, @nestjs/microservices or graphql up front: the
 * first two are loaded when their context first shows up (their filters only recognise their own
 * exception classes), and the GraphQL refusal needs no import at all.
 */

/** The contexts the guard limits: `ExecutionContext.getType()`, GraphQL's included. */
export type RateLimitContextType = 'http' | 'ws' | 'rpc' | 'graphql';

/** The parts of one guarded call that the guard works with. */
export interface RateLimitExchange {
  /**
   * What `getTracker` reads: the HTTP request (for GraphQL, the request that carried the
   * operation), the client socket of a WebSocket message, or the transport's context of an RPC
   * message (e.g. `TcpContext`).
   */
  req: object;
  /** Where the rate-limit headers go; absent where there is no response to set them on. */
  res?: object | undefined;
  /** The call, decided at most once however many RateLimitGuards cover it; default `req`. */
  call?: object;
}

/** The `code` (GraphQL: `extensions.code`) of a refusal over the limit, in every non-HTTP context. */
export const RATE_LIMITED = 'RATE_LIMITED';
/** The `code` of a refusal because the store failed under `onStoreError: 'deny'`. */
export const RATE_LIMIT_UNAVAILABLE = 'RATE_LIMIT_UNAVAILABLE';

/** What a WebSocket client or an RPC caller receives, and GraphQL's `extensions`. */
export interface RateLimitRefusalBody {
  status: 'error';
  message: string;
  code: typeof RATE_LIMITED | typeof RATE_LIMIT_UNAVAILABLE;
  /** Seconds to wait, as in `Retry-After`; only on RATE_LIMITED. */
  retryAfter?: number;
}

/**
 * A GraphQL refusal. graphql-js copies an error's `extensions` into the GraphQL error it reports,
 * so clients see `extensions: { code: 'RATE_LIMITED', retryAfter }`. An IntrinsicException, so
 * Nest does not log every refused request as a failure.
 */
export class RateLimitGraphQLError extends IntrinsicException {
  readonly extensions: { code: string; retryAfter?: number };

  constructor(
    /** The decision that refused the call. */
    readonly decision: RateLimitDecision,
    body: RateLimitRefusalBody,
  ) {
    super(body.message, { cause: decision.storeError });
    this.name = 'RateLimitGraphQLError';
    const { code, retryAfter } = body;
    this.extensions = retryAfter === undefined ? { code } : { code, retryAfter };
  }
}

type Loadable = 'ws' | 'rpc';
type ErrorClass = new (error: object) => Error;
const PACKAGES: Record<Loadable, string> = {
  ws: '@nestjs/websockets',
  rpc: '@nestjs/microservices',
};
const loaded: Partial<Record<Loadable, ErrorClass>> = {};
const loading: Partial<Record<Loadable, Promise<void>>> = {};

/** The guarded call's parts; undefined for a context type the guard does not know (not limited). */
export function exchangeOf(context: ExecutionContext): RateLimitExchange | undefined {
  const type = context.getType<RateLimitContextType>();
  if (type === 'http') {
    const http = context.switchToHttp();
    const req = http.getRequest<object>();
    return { req, res: http.getResponse<object>(), call: req };
  }
  const call = context.getArgs();
  if (type === 'ws') return { req: context.switchToWs().getClient<object>(), res: undefined, call };
  if (type === 'rpc')
    return { req: context.switchToRpc().getContext<object>(), res: undefined, call };
  if (type === 'graphql') {
    // GraphQL resolvers get (root, args, context, info); Apollo's context holds the request as
    // `req`, and the response as `res` when the app's `context` function passes it on.
    const gql = (context.getArgByIndex<object | undefined>(2) ?? {}) as GraphQLContext;
    const req = gql.req ?? gql.request ?? gql;
    return { req, res: gql.res ?? gql.reply ?? (req as { res?: object }).res, call };
  }
  return undefined;
}

interface GraphQLContext {
  req?: object;
  request?: object;
  res?: object;
  reply?: object;
}

/** The shapes the default tracker reads a client address from, per context. */
interface Addressed {
  ip?: string;
  socket?: { remoteAddress?: string };
  /** socket.io: the address the handshake came from. */
  handshake?: { address?: string };
  /** ws: the WebSocket's TCP socket. */
  _socket?: { remoteAddress?: string };
  /** @nestjs/microservices TCP: the TcpSocket around the net.Socket. */
  getSocketRef?: () => { netSocket?: { remoteAddress?: string } } | undefined;
}

/**
 * The client address of a call, undefined when the transport has none. HTTP and GraphQL: the
 * framework's `req.ip` (proxy headers count only when the app trusts proxies), else the TCP peer.
 * socket.io: `handshake.address`; ws: the socket's TCP peer; RPC over TCP: the caller's TCP peer.
 */
export function addressOf(req: object, context: ExecutionContext): string | undefined {
  const r = req as Addressed;
  switch (context.getType<RateLimitContextType>()) {
    case 'ws':
      return r.handshake?.address ?? r._socket?.remoteAddress;
    case 'rpc':
      return typeof r.getSocketRef === 'function'
        ? r.getSocketRef()?.netSocket?.remoteAddress
        : undefined;
    default:
      return r.ip ?? r.socket?.remoteAddress;
  }
}

/**
 * Loads what refusing in `context` takes (WsException, RpcException) the first time that kind of
 * context shows up; undefined once loaded, and for HTTP and GraphQL, which need nothing.
 */
export function prepareContext(context: ExecutionContext): Promise<void> | undefined {
  const type = context.getType<RateLimitContextType>();
  if ((type !== 'ws' && type !== 'rpc') || loaded[type] !== undefined) return undefined;
  return (loading[type] ??= load(type));
}

async function load(type: Loadable): Promise<void> {
  try {
    loaded[type] =
      type === 'ws'
        ? (await import('@nestjs/websockets')).WsException
        : (await import('@nestjs/microservices')).RpcException;
  } catch (cause) {
    throw new KvsInvalidArgumentError(
      `RateLimitGuard refuses ${type === 'ws' ? 'WebSocket' : 'RPC'} messages with the exception ` +
        `class of ${PACKAGES[type]} and could not load it from nestjs-kvs: make ${PACKAGES[type]} ` +
        'a dependency of the application (same major as @nestjs/common).',
      { cause },
    );
  }
}

/** The refusal of a call over its limit, as its context expects it. */
export function refusalOf(context: ExecutionContext, decision: RateLimitDecision): Error {
  if (context.getType() === 'http') return new RateLimitExceededException(decision);
  return inContext(context, decision, {
    status: 'error',
    message: 'Too Many Requests',
    code: RATE_LIMITED,
    retryAfter: retryAfterSeconds(decision),
  });
}

/** The refusal of a call the store could not decide (`onStoreError: 'deny'`). */
export function unavailableOf(context: ExecutionContext, decision: RateLimitDecision): Error {
  const http = new RateLimitUnavailableException(decision);
  if (context.getType() === 'http') return http;
  return inContext(context, decision, {
    status: 'error',
    message: http.message,
    code: RATE_LIMIT_UNAVAILABLE,
  });
}

function inContext(
  context: ExecutionContext,
  decision: RateLimitDecision,
  body: RateLimitRefusalBody,
): Error {
  const type = context.getType<RateLimitContextType>();
  if (type === 'graphql') return new RateLimitGraphQLError(decision, body);
  const ErrorClass = type === 'ws' || type === 'rpc' ? loaded[type] : undefined;
  if (ErrorClass === undefined) {
    // Only reachable when a subclass skips canActivate's prepareContext.
    throw new KvsInvalidArgumentError(
      `RateLimitGuard cannot refuse a ${type} call before prepareContext(context) has loaded ` +
        'its exception class; await it first.',
    );
  }
  return Object.assign(new ErrorClass(body), { decision });
}
