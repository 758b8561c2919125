/** Step 6 of the acceptance checks (docs/interface.md, section 3): the message is neither from the future nor stale. */
import { GatewayError } from './errors.js';

export interface FreshnessPolicy {
  maxFutureSeconds: number;
  maxAgeSeconds: number;
}

export function assertFresh(sentAt: string, now: Date, policy: FreshnessPolicy): void {
  const sent = Date.parse(sentAt);
  if (Number.isNaN(sent)) throw new GatewayError('stale_message', 'header.sentAt is not a valid RFC 3339 time.');
  const skewSeconds = (sent - now.getTime()) / 1000;
  if (skewSeconds > policy.maxFutureSeconds) {
    throw new GatewayError(
      'stale_message',
      `header.sentAt is ${Math.round(skewSeconds)} s in the future (at most ${policy.maxFutureSeconds} s allowed). Check the sending system's clock (NTP) and send again.`,
    );
  }
  if (-skewSeconds > policy.maxAgeSeconds) {
    throw new GatewayError(
      'stale_message',
      `header.sentAt is ${Math.round(-skewSeconds)} s old (at most ${policy.maxAgeSeconds} s allowed). Send the message again with a new messageId and sentAt.`,
    );
  }
}
