import { Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { GUARDS_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { APP_GUARD, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { RATE_LIMIT_POLICIES, RATE_LIMIT_SKIP } from './rate-limit.constants.js';
import { guardsBuiltOn, RateLimitGuard } from './rate-limit.guard.js';
import { RateLimiter } from './rate-limiter.service.js';

/** The text of the startup warning for a `@RateLimit` route that no guard enforces. */
export function uncoveredMessage(route: string): string {
  return (
    `@RateLimit on ${route} is not enforced: no RateLimitGuard covers it; add ` +
    '@UseGuards(RateLimitGuard) or { provide: APP_GUARD, useClass: RateLimitGuard }.'
  );
}

/**
 * The startup check of rate limiting (internal). It reads every controller's routes and the
 * guards that cover them: `@UseGuards()` on the class or the route (RateLimitGuard or a subclass),
 * `APP_GUARD` providers, and guards built by hand (`app.useGlobalGuards(new RateLimitGuard(...))`
 * before `init`/`listen`; one of those counts as covering every route). Then:
 * - a route with `@RateLimit` that no guard covers gets a warning naming it (the route works,
 *   unlimited);
 * - when a covered route is limited, the store is looked up now, so a missing default store
 *   fails startup with the fix, not the first request.
 * Nothing happens with `enabled: false`.
 */
@Injectable()
export class RateLimitCoverage implements OnModuleInit {
  readonly #logger = new Logger('RateLimit');

  constructor(
    private readonly modules: ModulesContainer,
    private readonly scanner: MetadataScanner,
    private readonly limiter: RateLimiter,
  ) {}

  onModuleInit(): void {
    if (!this.limiter.options.enabled) return;
    const everywhere = this.#globalGuard();
    let needsStore = false;
    const uncovered: string[] = [];
    for (const module of this.modules.values()) {
      for (const wrapper of module.controllers.values()) {
        const type = wrapper.metatype as Type | null;
        if (typeof type !== 'function') continue;
        const classGuarded = everywhere || isGuarded(type);
        for (const name of this.scanner.getAllMethodNames(type.prototype as object)) {
          const handler: unknown = (type.prototype as Record<string, unknown>)[name];
          if (typeof handler !== 'function' || !Reflect.hasMetadata(PATH_METADATA, handler)) {
            continue;
          }
          const limited = this.#limited(handler, type);
          if (classGuarded || isGuarded(handler)) needsStore ||= limited !== 'no';
          else if (limited === 'decorated') uncovered.push(`${type.name}.${name}`);
        }
      }
    }
    if (needsStore) this.limiter.decider.start();
    for (const route of uncovered) this.#logger.warn(uncoveredMessage(route));
  }

  /** Whether a RateLimitGuard applies to every route: an APP_GUARD, or one built by hand. */
  #globalGuard(): boolean {
    const known = new Set<unknown>();
    let global = false;
    for (const module of this.modules.values()) {
      for (const [token, wrapper] of module.providers) {
        const instance: unknown = wrapper.instance;
        if (!(instance instanceof RateLimitGuard)) continue;
        known.add(instance);
        if (typeof token === 'string' && token.startsWith(APP_GUARD)) global = true;
      }
      for (const wrapper of module.injectables.values()) known.add(wrapper.instance);
    }
    for (const guard of guardsBuiltOn(this.limiter)) if (!known.has(guard)) global = true;
    return global;
  }

  /** How the guard would limit a route: by its `@RateLimit`, by the module's policies, or not. */
  #limited(handler: object, type: object): 'decorated' | 'defaults' | 'no' {
    const own = Reflect.getMetadata(RATE_LIMIT_SKIP, handler) as boolean | undefined;
    if (Reflect.getMetadata(RATE_LIMIT_POLICIES, handler) !== undefined) {
      return own === true ? 'no' : 'decorated';
    }
    if (
      own === true ||
      (own === undefined && Reflect.getMetadata(RATE_LIMIT_SKIP, type) === true)
    ) {
      return 'no';
    }
    if (Reflect.getMetadata(RATE_LIMIT_POLICIES, type) !== undefined) return 'decorated';
    return this.limiter.options.policies === undefined ? 'no' : 'defaults';
  }
}

/** Whether `@UseGuards()` on `target` lists RateLimitGuard, a subclass, or an instance of one. */
function isGuarded(target: object): boolean {
  const guards = Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined;
  return (guards ?? []).some(
    (g) =>
      g instanceof RateLimitGuard ||
      (typeof g === 'function' &&
        (g === RateLimitGuard || (g.prototype as object) instanceof RateLimitGuard)),
  );
}
