import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { RateLimiter } from '../../src/http/rate-limit.js';

describe('http/rate-limit', () => {
  it('lets a burst through, refuses the next with a Retry-After, and refills with time', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 60, burst: 3, now: () => now });
    for (let i = 0; i < 3; i++) limiter.take('ofii-paris');
    let error: unknown;
    try {
      limiter.take('ofii-paris');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).code).to.equal('rate_limited');
    expect((error as GatewayError).retryAfterSeconds).to.equal(1);
    limiter.take('mission-locale-paris');
    now += 1000;
    limiter.take('ofii-paris');
  });
});
