/**
 * Publishes outbox rows on a confirm channel. A publish succeeds only when the broker acked it and
 * did not return it first: RabbitMQ acks an unroutable message too, and sends the basic.return of a
 * mandatory message before its ack on the same channel (confirms.md, "Publisher Confirms").
 * Several publishes may be outstanding at once; each is correlated by its message id, never by
 * delivery tag, because tags restart at 1 on every new channel.
 *
 * Only what docs/interface.md (section 5) lists travels in clear: no correlation id, no reply-to,
 * no other header than the sender, the audit index and the W3C Trace Context (`traceparent`,
 * `tracestate`: random identifiers of a trace, https://www.w3.org/TR/trace-context/ section 8.1),
 * so that the recipient's consumer continues the trace its sender started.
 */
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import type { OutboxEntry, TraceContext } from '../store/port.js';
import type { BrokerConnection } from './connection.js';
import { describeError } from './connection.js';
import { exchangeName, routingKey } from './topology.js';

export const CONTENT_TYPE = 'application/pgp-encrypted';
export const APP_ID = 'passerelle';
export const SENDER_HEADER = 'x-passerelle-sender';
export const AUDIT_INDEX_HEADER = 'x-passerelle-audit-index';
/** W3C Trace Context over AMQP: the header names of the HTTP binding, as the W3C AMQP draft and OpenTelemetry's instrumentations use. */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

export interface Publisher {
  /**
   * Resolves on the broker's ack; rejects on nack, return, timeout or loss of the channel. `trace` is
   * the context to send in the headers (the row's own when absent).
   */
  publish(entry: OutboxEntry, prefix: string, trace?: TraceContext): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherOptions {
  broker: BrokerConnection;
  logger: Logger;
  /** An unconfirmed publish fails after this long; the outbox retries it (a duplicate at worst). */
  confirmTimeoutMs?: number;
}

interface Outstanding {
  messageId: string;
  returned: string | undefined;
  settle(err: Error | null): void;
}

interface ChannelState {
  channel: ConfirmChannel;
  open: boolean;
  outstanding: Set<Outstanding>;
  drained: Promise<void> | undefined;
  endDrainWait: (() => void) | undefined;
}

/** The AMQP properties of an outbox row, exactly those of docs/interface.md (section 5). */
export function publishOptions(entry: OutboxEntry, trace: TraceContext | undefined = entry.traceContext): Options.Publish {
  const acceptedAt = Date.parse(entry.acceptedAt);
  if (!Number.isFinite(acceptedAt)) {
    throw new GatewayError('internal', `Outbox row ${entry.messageId} has an acceptance time that is not a date; it was not published.`);
  }
  return {
    persistent: true,
    mandatory: true,
    contentType: CONTENT_TYPE,
    messageId: entry.messageId,
    type: entry.type,
    // AMQP 0-9-1 timestamp: seconds since the epoch (64-bit POSIX time_t).
    timestamp: Math.floor(acceptedAt / 1000),
    appId: APP_ID,
    headers: {
      [SENDER_HEADER]: entry.sender,
      // A fixed 64-bit signed type, so that the header type does not vary with the value.
      [AUDIT_INDEX_HEADER]: { '!': 'long', value: entry.auditIndex },
      ...(trace === undefined ? {} : { [TRACEPARENT_HEADER]: trace.traceparent, ...(trace.tracestate === undefined ? {} : { [TRACESTATE_HEADER]: trace.tracestate }) }),
    },
  };
}

export function createPublisher(opts: PublisherOptions): Publisher {
  const { broker, logger } = opts;
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? 30_000;
  let current: ChannelState | undefined;
  let opening: Promise<ChannelState> | undefined;
  let closed = false;
  let onClose: () => void = () => undefined;
  /** Settles when close() is called, so that nothing waits for a reconnection that may never come. */
  const closing = new Promise<never>((_, reject) => {
    onClose = () => reject(new GatewayError('broker_unreachable', 'The publisher was closed; the message stays in the outbox.'));
  });
  closing.catch(() => undefined);

  const lost = (state: ChannelState): void => {
    if (!state.open) return;
    state.open = false;
    if (current === state) current = undefined;
    state.endDrainWait?.();
    const err = new GatewayError(
      'broker_unreachable',
      'The broker channel closed before RabbitMQ confirmed the message; it stays in the outbox and will be published again.',
    );
    for (const pending of [...state.outstanding]) pending.settle(err);
  };

  const openChannel = async (): Promise<ChannelState> => {
    const channel = await broker.createConfirmChannel();
    const state: ChannelState = { channel, open: true, outstanding: new Set(), drained: undefined, endDrainWait: undefined };
    channel.on('close', () => lost(state));
    channel.on('return', (message: Message) => {
      const messageId: unknown = message.properties.messageId;
      const pending = [...state.outstanding].find((p) => p.messageId === messageId && p.returned === undefined);
      const fields = message.fields as { replyCode?: number; replyText?: string };
      const why = `${fields.replyCode ?? ''} ${fields.replyText ?? 'returned'}`.trim();
      if (pending) pending.returned = why;
      else logger.warn('broker.return_unmatched', { component: 'publisher', reason: why });
    });
    channel.on('drain', () => {
      state.endDrainWait?.();
    });
    return state;
  };

  const channelState = async (): Promise<ChannelState> => {
    if (current?.open) return current;
    opening ??= openChannel()
      .then(async (state) => {
        if (closed) {
          await state.channel.close().catch(() => undefined);
          lost(state);
        } else {
          current = state;
        }
        return state;
      })
      .finally(() => {
        opening = undefined;
      });
    // While disconnected, opening waits for the reconnection: close() must not wait with it.
    return Promise.race([opening, closing]);
  };

  const publish = async (entry: OutboxEntry, prefix: string, trace?: TraceContext): Promise<void> => {
    if (closed) throw new GatewayError('broker_unreachable', 'The publisher was closed; the message stays in the outbox.');
    if (!broker.isConnected()) {
      throw new GatewayError('broker_unreachable', 'RabbitMQ is disconnected; the message stays in the outbox until the connection is back.');
    }
    const key = routingKey(entry.recipient, entry.type);
    const options = publishOptions(entry, trace ?? entry.traceContext);
    const exchange = exchangeName(prefix);
    const content = Buffer.from(entry.body, 'utf8');

    let state: ChannelState;
    try {
      state = await channelState();
      while (state.drained !== undefined && state.open) {
        await Promise.race([state.drained, closing]);
      }
    } catch (err) {
      throw new GatewayError('broker_unreachable', `No channel to RabbitMQ could be opened: ${describeError(err)}. The message stays in the outbox.`, { cause: err });
    }
    if (!state.open) {
      throw new GatewayError('broker_unreachable', 'The broker channel closed before the message was sent; it stays in the outbox.');
    }

    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const pending: Outstanding = {
        messageId: entry.messageId,
        returned: undefined,
        settle: (err) => {
          if (!state.outstanding.delete(pending)) return;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        },
      };
      state.outstanding.add(pending);
      timer = setTimeout(() => {
        pending.settle(
          new GatewayError('unavailable', `RabbitMQ did not confirm message ${entry.messageId} within ${confirmTimeoutMs} ms (blocked or overloaded broker?); it stays in the outbox and will be published again.`),
        );
      }, confirmTimeoutMs);

      const onConfirm = (err: unknown): void => {
        if (err) {
          // amqplib fails the callbacks of a closing channel the same way as a nack, from a 'close'
          // listener that runs just before ours: decide after it, so that a loss is reported as one.
          queueMicrotask(() => {
            pending.settle(new GatewayError('unavailable', `RabbitMQ refused message ${entry.messageId} (nack: queue full or broker error); it stays in the outbox and will be published again.`));
          });
        } else if (pending.returned !== undefined) {
          pending.settle(
            new GatewayError('unavailable', `RabbitMQ could not route message ${entry.messageId} with key "${key}" on exchange "${exchange}" (${pending.returned}): no queue is bound for this recipient. Check that the topology was declared for this recipient; the message stays in the outbox.`),
          );
        } else {
          pending.settle(null);
        }
      };

      let written: boolean;
      try {
        written = state.channel.publish(exchange, key, content, options, onConfirm);
      } catch (err) {
        // Publishing on a channel that closed in between throws synchronously.
        lost(state);
        pending.settle(new GatewayError('broker_unreachable', `The message could not be sent to RabbitMQ: ${describeError(err)}. It stays in the outbox.`, { cause: err }));
        return;
      }
      if (!written && state.drained === undefined) {
        // The frame is buffered already; later publishes wait until the socket drains.
        state.drained = new Promise<void>((done) => {
          state.endDrainWait = () => {
            state.drained = undefined;
            state.endDrainWait = undefined;
            done();
          };
        });
      }
    });
  };

  return {
    publish,
    close: async () => {
      if (closed) return;
      closed = true;
      onClose();
      const state = current;
      current = undefined;
      if (state?.open) {
        try {
          await state.channel.close();
        } catch (err) {
          logger.debug('broker.channel_close_failed', { component: 'publisher', reason: describeError(err) });
        }
        lost(state);
      }
    },
  };
}
