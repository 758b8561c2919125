/**
 * The metrics and the tracing together, as the HTTP edge, the use cases and the relay see them: one
 * observation per message received (its stages timed and, with tracing on, spans under the request's
 * span), one per publish of the relay, and the TLS handshakes of the listener.
 *
 * Span attributes are identifiers only: the partner ids, the message type and the message id. The
 * message id is kept on spans (not on metrics): a trace is about one message, traces are read by the
 * operator only, and the id is what joins a trace to the audit log; it says nothing of the person.
 */
import { performance } from 'node:perf_hooks';
import type { Context } from '@opentelemetry/api';
import type { OutboxEntry, TraceContext } from '../store/port.js';
import type { GatewayMetrics } from './metrics.js';
import type { MessageObservation, PublishObservation, Stage } from './stages.js';
import { SpanKind, type OpenSpan, type Tracing } from './tracing.js';

export interface RequestObservation extends MessageObservation {
  /** The request was answered: its span ends with the answer's status and problem code. */
  end(answer: { status: number; code: string | undefined }): void;
}

export class Observer implements PublishObservation {
  private lastRelayLag: number | undefined;

  constructor(
    readonly metrics: GatewayMetrics,
    readonly tracing: Tracing,
    /** The exchange messages are published on (span attribute messaging.destination.name). */
    private readonly exchange: string,
  ) {}

  /** A partner's POST /v1/messages, under the context it sent (W3C traceparent), or a new trace. */
  beginMessage(received: TraceContext | undefined, sender: string): RequestObservation {
    const span = this.tracing.start('POST /v1/messages', SpanKind.SERVER, received, { 'http.request.method': 'POST', 'http.route': '/v1/messages', 'passerelle.sender': sender });
    const stage = this.stageRunner(span.context);
    return {
      stage: stage.run,
      begin: stage.begin,
      identify: (fields) => span.setAttributes({ 'messaging.message.id': fields.messageId, 'passerelle.message_type': fields.type }),
      traceContext: () => span.traceContext,
      end: (answer) => {
        span.setAttributes({ 'http.response.status_code': answer.status, ...(answer.code === undefined ? {} : { 'passerelle.problem_code': answer.code }) });
        if (answer.status >= 400) span.fail(answer.code ?? String(answer.status));
        span.end();
      },
    };
  }

  publish<T>(entry: OutboxEntry, work: (trace: TraceContext | undefined) => Promise<T>): Promise<T> {
    const span = this.tracing.start(`${this.exchange} publish`, SpanKind.PRODUCER, entry.traceContext, {
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': this.exchange,
      'messaging.message.id': entry.messageId,
      'passerelle.recipient': entry.recipient,
      'passerelle.message_type': entry.type,
    });
    const started = performance.now();
    return work(span.traceContext).then(
      (value) => {
        this.metrics.stage('publish', (performance.now() - started) / 1000);
        span.end();
        return value;
      },
      (err: unknown) => {
        span.fail('publish_failed');
        span.end();
        throw err;
      },
    );
  }

  confirmed(entry: OutboxEntry, at: number): void {
    const lag = Math.max(0, (at - Date.parse(entry.acceptedAt)) / 1000);
    this.lastRelayLag = lag;
    this.metrics.relayDelay(lag);
  }

  /** Seconds from acceptance to confirm of the last message this process published. */
  relayLagSeconds(): number | undefined {
    return this.lastRelayLag;
  }

  tlsHandshake(seconds: number): void {
    this.metrics.stage('tls_handshake', seconds);
  }

  private stageRunner(parent: Context): { run: MessageObservation['stage']; begin: MessageObservation['begin'] } {
    const open = (stage: Stage): { span: OpenSpan; started: number } => ({ span: this.tracing.start(stage, SpanKind.INTERNAL, parent), started: performance.now() });
    const close = (stage: Stage, running: { span: OpenSpan; started: number }, failed: boolean) => {
      this.metrics.stage(stage, (performance.now() - running.started) / 1000);
      if (failed) running.span.fail('failed');
      running.span.end();
    };
    return {
      run: async (stage, work) => {
        const running = open(stage);
        try {
          const value = await work();
          close(stage, running, false);
          return value;
        } catch (err) {
          close(stage, running, true);
          throw err;
        }
      },
      begin: (stage) => {
        const running = open(stage);
        return () => close(stage, running, false);
      },
    };
  }
}
