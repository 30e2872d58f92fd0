import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { clientAddress } from './rate-limit.client-ip.js';
import {
  RATE_LIMIT_POLICIES,
  RATE_LIMIT_ROUTE_OPTIONS,
  RATE_LIMIT_SKIP,
} from './rate-limit.constants.js';
import {
  RateLimitExceededException,
  RateLimitUnavailableException,
} from './rate-limit.exception.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import { rateLimitHeaders, retryAfterSeconds } from './rate-limit.headers.js';
import type {
  RateLimitDecision,
  RateLimitHeaderFormat,
  RateLimitPolicy,
  RateLimitRouteOptions,
  RateLimitStoreErrorPolicy,
} from './rate-limit.interfaces.js';
import { bindPolicies } from './rate-limit.dynamic.js';
import { refundByOutcome } from './rate-limit.outcome.js';
import { resolvePolicies, type ResolvedPolicy } from './rate-limit.policy.js';
import { RateLimiter } from './rate-limiter.service.js';

/** The request as far as the guard reads it (Express and Fastify both fill `ip`). */
export interface RateLimitRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** What applies to one route, read once from its metadata. */
interface RouteSettings {
  skip: boolean;
  policies: readonly RateLimitPolicy[] | undefined;
  resolved: readonly ResolvedPolicy[];
  /** Some policy counts only failures or only successes. */
  counts: boolean;
  headers: RateLimitHeaderFormat;
  onStoreError: RateLimitStoreErrorPolicy;
}

/** Requests already decided by some RateLimitGuard: a global and a route guard never both count one. */
const decided = new WeakSet<object>();

/** The guards built on each limiter, so the startup check also sees guards built by hand. */
const built = new WeakMap<RateLimiter, Set<RateLimitGuard>>();

/** Every guard built on `limiter` (by Nest or with `new`), for the startup coverage check. */
export function guardsBuiltOn(limiter: RateLimiter): ReadonlySet<RateLimitGuard> {
  return built.get(limiter) ?? new Set();
}

/**
 * Limits HTTP routes by their `@RateLimit()` policies (or the module's default `policies`). Use it
 * as a global guard (`{ provide: APP_GUARD, useClass: RateLimitGuard }`) or with `@UseGuards()`.
 * Extend it and override the protected hooks to change how requests are keyed, skipped or refused.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  readonly #routes = new WeakMap<object, WeakMap<object, RouteSettings>>();

  constructor(
    @Optional() protected readonly limiter: RateLimiter,
    protected readonly reflector: Reflector,
    protected readonly adapterHost: HttpAdapterHost,
  ) {
    if (!(limiter instanceof RateLimiter)) {
      throw new KvsInvalidArgumentError(
        'RateLimitGuard needs the RateLimiter that KvsModule provides, and this application has ' +
          'none: import KvsModule.forRoot() (or forRootAsync) in the root module.',
      );
    }
    const guards = built.get(limiter) ?? new Set();
    built.set(limiter, guards.add(this));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limiter.options.enabled) return true;
    const http = this.getRequestResponse(context);
    if (http === undefined || decided.has(http.req)) return true;
    const route = this.#settings(context);
    if (route.skip || route.policies === undefined) return true;
    const skip = this.shouldSkip(context);
    if (skip === true || (skip !== false && (await skip))) return true;
    decided.add(http.req);
    const tracked = this.getTracker(http.req, context);
    const tracker = typeof tracked === 'string' ? tracked : await tracked;
    const keys: string[] = [];
    for (const policy of route.policies) {
      const key =
        policy.key === undefined ? this.generateKey(context, tracker, policy) : policy.key(context);
      keys.push(typeof key === 'string' ? key : await key);
    }
    const bound = bindPolicies(context, route.resolved);
    const policies = bound instanceof Promise ? await bound : bound;
    const pending = this.limiter.decider.decide(keys, policies, route.onStoreError, undefined);
    const decision = pending instanceof Promise ? await pending : pending;
    if (decision.storeError !== undefined && decision.local !== true) {
      if (decision.allowed) return true;
      return this.throwUnavailable(context, decision);
    }
    if (route.headers !== false) this.setHeaders(http.res, decision, route.headers);
    if (decision.allowed) {
      if (route.counts) refundByOutcome(this.limiter, http.res, keys, policies);
      return true;
    }
    this.setHeader(http.res, 'Retry-After', String(retryAfterSeconds(decision)));
    return this.throwException(context, decision);
  }

  /** The request and response of an HTTP context; undefined (not limited) for other contexts. */
  protected getRequestResponse(
    context: ExecutionContext,
  ): { req: object; res: object } | undefined {
    if (context.getType() !== 'http') return undefined;
    const http = context.switchToHttp();
    return { req: http.getRequest<object>(), res: http.getResponse<object>() };
  }

  /** Whether to let this request through uncounted; default: the module's `skip` option. */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    const skip = this.limiter.options.skip;
    return skip === undefined ? false : skip(context);
  }

  /**
   * Who is asking: the client IP as the framework computed it (`req.ip`: proxy headers count only
   * when the app trusts proxies, via Express's `trust proxy` or Fastify's `trustProxy`), IPv6 cut
   * to its `ipv6Subnet` network.
   */
  protected getTracker(req: object, _context: ExecutionContext): string | Promise<string> {
    const { ip, socket } = req as RateLimitRequest;
    const address = ip ?? socket?.remoteAddress;
    return address === undefined
      ? 'unknown-client'
      : clientAddress(address, this.limiter.options.ipv6Subnet);
  }

  /** The key of a policy without its own `key`: the tracker plus the route (controller and handler). */
  protected generateKey(
    context: ExecutionContext,
    tracker: string,
    _policy: RateLimitPolicy,
  ): string {
    return `${tracker}:${context.getClass().name}.${context.getHandler().name}`;
  }

  /** Sets the rate-limit headers of `decision` in `format` on the response. */
  protected setHeaders(
    res: object,
    decision: RateLimitDecision,
    format: Exclude<RateLimitHeaderFormat, false>,
  ): void {
    for (const [name, value] of rateLimitHeaders(decision, format))
      this.setHeader(res, name, value);
  }

  /** Sets one header through Nest's HTTP adapter, so Express and Fastify both work. */
  protected setHeader(res: object, name: string, value: string): void {
    this.adapterHost.httpAdapter.setHeader(res, name, value);
  }

  /** Refuses a request over its limit: 429 with Nest's usual body (`Retry-After` is already set). */
  protected throwException(_context: ExecutionContext, decision: RateLimitDecision): never {
    throw new RateLimitExceededException(decision);
  }

  /** Refuses a request the store could not decide, under `onStoreError: 'deny'`: 503. */
  protected throwUnavailable(_context: ExecutionContext, decision: RateLimitDecision): never {
    throw new RateLimitUnavailableException(decision);
  }

  /** The route's settings: a route's own metadata beats its controller's, which beats the module's. */
  #settings(context: ExecutionContext): RouteSettings {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.#routes.get(controller);
    if (byHandler === undefined) this.#routes.set(controller, (byHandler = new WeakMap()));
    let settings = byHandler.get(handler);
    if (settings === undefined) {
      settings = this.#read(handler, controller);
      byHandler.set(handler, settings);
    }
    return settings;
  }

  #read(handler: object, controller: object): RouteSettings {
    const targets = [handler, controller] as [() => void, () => void];
    const own = this.reflector.get<boolean | undefined>(RATE_LIMIT_SKIP, targets[0]);
    const ownPolicies = this.reflector.get<readonly RateLimitPolicy[] | undefined>(
      RATE_LIMIT_POLICIES,
      targets[0],
    );
    const skip =
      own ??
      (ownPolicies === undefined &&
        this.reflector.get<boolean | undefined>(RATE_LIMIT_SKIP, targets[1]) === true);
    const policies =
      this.reflector.getAllAndOverride<readonly RateLimitPolicy[] | undefined>(
        RATE_LIMIT_POLICIES,
        targets,
      ) ?? this.limiter.options.policies;
    const [fromRoute, fromController] = this.reflector.getAll<
      (RateLimitRouteOptions | undefined)[]
    >(RATE_LIMIT_ROUTE_OPTIONS, targets);
    const options = { ...fromController, ...fromRoute };
    const resolved = policies === undefined ? [] : resolvePolicies(policies);
    return {
      skip,
      policies,
      resolved,
      counts: resolved.some((p) => p.count !== 'all'),
      headers: options.headers ?? this.limiter.options.headers,
      onStoreError: options.onStoreError ?? this.limiter.options.onStoreError,
    };
  }
}
