/**
 * The observation of one message on its way through the gateway, as the use cases and the relay see
 * it: each stage is timed (metrics) and, with tracing on, a span; the message's trace context goes
 * with its outbox row to the relay and into the AMQP headers (src/observability/tracing.ts).
 * Types and a no-op only, so that app/ and broker/ depend on nothing else of this folder.
 */
import type { OutboxEntry, TraceContext } from '../store/port.js';

/** Where a message spends its time; the label values of passerelle_stage_duration_seconds. */
export type Stage = 'tls_handshake' | 'crypto_open' | 'validation' | 'crypto_seal' | 'store' | 'receipt' | 'publish';

export interface MessageObservation {
  /** Runs one stage of the message, timed and (with tracing on) as a child span. */
  stage<T>(stage: Stage, work: () => Promise<T>): Promise<T>;
  /** Starts timing a stage of synchronous work (an assertion function cannot be wrapped); call the result at its end. */
  begin(stage: Stage): () => void;
  /** What the message is, once its sender is proven (span attributes: identifiers only). */
  identify(fields: { messageId: string; type: string }): void;
  /** The trace context to keep with the outbox row: the caller's, or the gateway's span under it. */
  traceContext(): TraceContext | undefined;
}

/** What the relay reports of each publish. */
export interface PublishObservation {
  /**
   * Runs the publish of one outbox row with the trace context to put in its AMQP headers (the row's,
   * or the gateway's publish span under it).
   */
  publish<T>(entry: OutboxEntry, work: (trace: TraceContext | undefined) => Promise<T>): Promise<T>;
  /** The broker confirmed the row at `at` (milliseconds): the relay's lag is measured from its acceptance. */
  confirmed(entry: OutboxEntry, at: number): void;
}

export const UNOBSERVED: MessageObservation = {
  stage: (_stage, work) => work(),
  begin: () => () => undefined,
  identify: () => undefined,
  traceContext: () => undefined,
};

/** Without an observer the row's own context is published unchanged. */
export const UNOBSERVED_PUBLISH: PublishObservation = {
  publish: (entry, work) => work(entry.traceContext),
  confirmed: () => undefined,
};
