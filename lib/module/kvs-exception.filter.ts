import { Catch, HttpStatus, Logger, Optional, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { isKvsError, KvsInvalidArgumentError } from '../store/index.js';
import { ThrottledLog } from '../shared/throttled-log.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { toInvalid } from '../store/kvs.errors.js';

/** Options of {@link KvsExceptionFilter}. */
export interface KvsExceptionFilterOptions {
  /**
   * The `Retry-After` of a 503, in whole seconds. Default 5: about the time Redis takes to come
   * back from a restart or a failover, without every client retrying at once every second.
   */
  retryAfterSeconds?: number;
}

/** The body of the 503, in the shape of Nest's own errors; it says nothing about the store. */
const UNAVAILABLE = {
  statusCode: HttpStatus.SERVICE_UNAVAILABLE,
  message: 'The service is temporarily unavailable; try again shortly.',
  error: 'Service Unavailable',
} as const;

/** Option names of KvsExceptionFilter, checked at runtime. */
const FILTER_OPTIONS: OptionNames<KvsExceptionFilterOptions> = { retryAfterSeconds: true };

/**
 * Answers 503 Service Unavailable, with `Retry-After`, when a route fails because the store is
 * unreachable, did not answer in time (`KvsConnectionError`) or was closed during shutdown
 * (`KvsClosedError`). Errors are recognised by their `code`, so this holds when two copies of the
 * package are loaded. Every other error goes to Nest's default handling, unchanged. HTTP only
 * (Express and Fastify): it replies through the HTTP adapter. Logs one warning per cause per 10 s.
 *
 * Register it with `{ provide: APP_FILTER, useClass: KvsExceptionFilter }`, `@UseFilters(...)`, or
 * `app.useGlobalFilters(new KvsExceptionFilter(app.get(HttpAdapterHost), options))`.
 */
@Catch()
export class KvsExceptionFilter extends BaseExceptionFilter {
  /** Set by Nest when it creates the filter, or by the constructor; read when a reply is sent. */
  protected override readonly httpAdapterHost?: HttpAdapterHost;
  readonly #retryAfter: string;
  readonly #log = new ThrottledLog(new Logger('KvsExceptionFilter'));

  constructor(
    @Optional() adapterHost?: HttpAdapterHost,
    @Optional() options?: KvsExceptionFilterOptions,
  ) {
    super();
    this.httpAdapterHost = adapterHost;
    if (options !== undefined) {
      assertKnownKeys('the KvsExceptionFilter options', options, FILTER_OPTIONS, toInvalid);
    }
    const seconds = options?.retryAfterSeconds ?? 5;
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      throw new KvsInvalidArgumentError(
        `Invalid KvsExceptionFilter retryAfterSeconds: expected a whole number of seconds >= 0 such as 5, got ${String(seconds)}.`,
      );
    }
    this.#retryAfter = String(seconds);
  }

  /** 503 for a store outage; any other error (or context) to Nest's default handling. */
  override catch(exception: unknown, host: ArgumentsHost): void {
    const outage = isKvsError(exception, 'KVS_CONNECTION') || isKvsError(exception, 'KVS_CLOSED');
    const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    if (!outage || host.getType() !== 'http' || adapter === undefined) {
      super.catch(exception, host);
      return;
    }
    this.#log.warn(exception.code, () => `Answered 503: ${exception.name}: ${exception.message}`);
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    adapter.setHeader(response, 'Retry-After', this.#retryAfter);
    adapter.reply(response, UNAVAILABLE, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
