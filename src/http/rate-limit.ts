/**
 * Per-partner rate limit: a token bucket per partner id (the client certificate's CN), so one
 * partner's runaway batch cannot starve the others. In memory: each gateway instance limits on its own.
 */
import { GatewayError } from '../domain/errors.js';

export interface RateLimitOptions {
  /** Sustained requests per minute per partner. */
  perMinute: number;
  /** Requests a partner may make at once after a quiet period. */
  burst: number;
  now?: () => number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.ratePerMs = options.perMinute / 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes one token for the partner, or throws rate_limited with the seconds to wait. */
  take(partnerId: string): void {
    const now = this.now();
    const bucket = this.buckets.get(partnerId) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.ratePerMs);
    bucket.at = now;
    this.buckets.set(partnerId, bucket);
    if (bucket.tokens < 1) {
      const waitSeconds = Math.ceil((1 - bucket.tokens) / this.ratePerMs / 1000);
      throw new GatewayError('rate_limited', `Partner ${partnerId} exceeded ${this.options.perMinute} requests per minute. Retry in ${waitSeconds} s.`, { retryAfterSeconds: waitSeconds });
    }
    bucket.tokens -= 1;
  }
}
