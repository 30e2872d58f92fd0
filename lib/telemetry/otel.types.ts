/**
 * The part of `@opentelemetry/api` this package uses, as plain structural types: the package has
 * no type dependency on the API, which is an optional peer. Any 1.x version of the API fits.
 */

/** Attribute values of a metric point or a span. */
export type OtelAttributes = Record<string, string | number | boolean | string[]>;

/** A synchronous histogram. */
export interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes, context?: OtelContext): void;
}

/** An asynchronous instrument (its values are read in a batch callback). */
export type OtelObservable = object;

/** What a batch callback reports to. */
export interface OtelBatchResult {
  observe(instrument: OtelObservable, value: number, attributes?: OtelAttributes): void;
}

/** Instrument options: a unit, a description, and (histograms) advised bucket boundaries. */
export interface OtelInstrumentOptions {
  unit?: string;
  description?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface OtelMeter {
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
  addBatchObservableCallback(
    callback: (result: OtelBatchResult) => void,
    instruments: OtelObservable[],
  ): void;
}

export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean | string[]): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): void;
  end(): void;
}

export type OtelContext = object;

export interface OtelTracer {
  startSpan(
    name: string,
    options?: { attributes?: OtelAttributes; kind?: number },
    context?: OtelContext,
  ): OtelSpan;
}

/** The entry points of `@opentelemetry/api` that this package reads. */
export interface OtelApi {
  metrics: {
    getMeterProvider(): { getMeter(name: string, version?: string): OtelMeter };
  };
  trace: {
    getTracerProvider(): { getDelegate?(): unknown };
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  context: {
    active(): OtelContext;
    with<R>(context: OtelContext, fn: () => R): R;
  };
  createNoopMeter(): OtelMeter;
  ROOT_CONTEXT: OtelContext;
  ProxyTracerProvider: new () => { getDelegate(): unknown };
}

/** `SpanStatusCode.ERROR` of the API (a stable enum value). */
export const SPAN_STATUS_ERROR = 2;
