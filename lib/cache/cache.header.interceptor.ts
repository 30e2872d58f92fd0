import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Observable, tap } from 'rxjs';
import { telemetry, type CacheResultSlot } from '../telemetry/telemetry.state.js';
import { cachedMethodOf } from './decorators/cache-method.decorator.js';

/** The header value of each lookup result: a hit in the local tier is a HIT too. */
const HEADER = { hit: 'HIT', local_hit: 'HIT', stale: 'STALE', miss: 'MISS' } as const;

/**
 * Sets `X-Cache: HIT | STALE | MISS` on the response of every route whose handler is a
 * `@Cacheable` method (Express and Fastify): HIT when the entry was fresh, STALE when a stale entry
 * was served while it refreshes, MISS when the method ran (a store failure too). A route that did
 * not use the cache (its `condition` said no, caching is off) gets no header. Opt in with
 * `{ provide: APP_INTERCEPTOR, useClass: KvsCacheHeaderInterceptor }`, or `@UseInterceptors()`.
 */
@Injectable()
export class KvsCacheHeaderInterceptor implements NestInterceptor, OnModuleDestroy {
  #counted = true;

  constructor(private readonly adapterHost: HttpAdapterHost) {
    telemetry.headerUsers++;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (
      context.getType() !== 'http' ||
      cachedMethodOf(context.getHandler())?.kind !== 'cacheable'
    ) {
      return next.handle();
    }
    const res = context.switchToHttp().getResponse<object>();
    const slot: CacheResultSlot = { result: undefined };
    const setHeader = () => {
      if (slot.result === undefined) return;
      this.adapterHost.httpAdapter.setHeader(res, 'X-Cache', HEADER[slot.result]);
    };
    // The handler runs where `next.handle()` is called and subscribed: inside the slot's scope.
    return new Observable((subscriber) =>
      telemetry.slots.run(slot, () =>
        next
          .handle()
          .pipe(tap({ next: setHeader }))
          .subscribe(subscriber),
      ),
    );
  }

  onModuleDestroy(): void {
    if (this.#counted) telemetry.headerUsers--;
    this.#counted = false;
  }
}
