/**
 * OpenTelemetry tracing, off unless PASSERELLE_TRACES_ENDPOINT is set: spans are exported with OTLP
 * over HTTP (JSON) in batches. Contexts are passed explicitly, never through a global context manager
 * or a global provider, so that two gateways in one process (tests) do not share state.
 *
 * Propagation (W3C Trace Context) works with tracing off too: the context a partner sent goes
 * unchanged with its message into the AMQP headers, so that the recipient continues the partner's
 * trace whether or not the gateway records its own part. With tracing on, the headers name the
 * gateway's span under the partner's (or a new trace when the partner sent none).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { TraceContext } from '../store/port.js';

export interface TracingOptions {
  /** OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); undefined turns tracing off. */
  endpoint: string | undefined;
  serviceName: string;
  /** Another exporter (tests); the OTLP/HTTP one at `endpoint` otherwise. */
  exporter?: SpanExporter;
}

const propagator = new W3CTraceContextPropagator();
const getter = {
  keys: (carrier: TraceContext) => Object.keys(carrier),
  get: (carrier: TraceContext, key: string) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};
const setter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** One span and the context under it. */
export interface OpenSpan {
  readonly context: Context;
  /** The traceparent/tracestate naming this span (or the received context unchanged, tracing off). */
  readonly traceContext: TraceContext | undefined;
  setAttributes(attributes: Attributes): void;
  fail(code: string): void;
  end(): void;
}

const NOT_RECORDED: OpenSpan = Object.freeze({ context: ROOT_CONTEXT, traceContext: undefined, setAttributes: () => undefined, fail: () => undefined, end: () => undefined });

export class Tracing {
  private readonly provider: BasicTracerProvider | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(options: TracingOptions) {
    if (options.endpoint === undefined && options.exporter === undefined) return;
    const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.endpoint!, timeoutMillis: 10_000 });
    // Every option given, so that the OTEL_* variables the SDK would read change nothing: the
    // settings are read in src/config/settings.ts only.
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 2_000, exportTimeoutMillis: 10_000 })],
    });
    this.tracer = this.provider.getTracer('passerelle');
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** A span under `parent` (a received context, or a span of this process), or a new trace. */
  start(name: string, kind: SpanKind, parent: TraceContext | Context | undefined, attributes: Attributes = {}): OpenSpan {
    if (this.tracer === undefined) {
      // Off: nothing recorded, nothing parsed; the received context travels on unchanged.
      const received = parent !== undefined && isTraceContext(parent) ? parent : undefined;
      return received === undefined ? NOT_RECORDED : { ...NOT_RECORDED, traceContext: received };
    }
    const parentContext = parent === undefined ? ROOT_CONTEXT : isTraceContext(parent) ? propagator.extract(ROOT_CONTEXT, parent, getter) : parent;
    const span: Span = this.tracer.startSpan(name, { kind, attributes }, parentContext);
    const spanContext = trace.setSpan(parentContext, span);
    return {
      context: spanContext,
      get traceContext() {
        return contextOf(spanContext);
      },
      setAttributes: (values) => span.setAttributes(values),
      fail: (code) => span.setStatus({ code: SpanStatusCode.ERROR, message: code }),
      end: () => span.end(),
    };
  }

  /** Exports what is buffered, then stops (at the gateway's stop). */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

function isTraceContext(value: TraceContext | Context): value is TraceContext {
  return typeof (value as TraceContext).traceparent === 'string';
}

function contextOf(ctx: Context): TraceContext | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, setter);
  if (carrier['traceparent'] === undefined) return undefined;
  return { traceparent: carrier['traceparent'], ...(carrier['tracestate'] ? { tracestate: carrier['tracestate'] } : {}) };
}

export { SpanKind };
