import { describe, expect, it } from 'vitest';
import { TokenRateLimiter } from '../../src/auth/token-rate.js';

describe('TokenRateLimiter', () => {
  it('gives each rate-limited token its own window: one token at its limit leaves the other its whole allowance', () => {
    const limiter = new TokenRateLimiter(60_000);
    for (let i = 0; i < 3; i++) expect(limiter.take('alpha', 3, 1000)).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(limiter.take('beta', 3, 1000), `beta request ${i + 1}`).toBeUndefined();
    expect(limiter.take('alpha', 3, 1000)).toEqual({ retryAfterSeconds: 60, justLimited: true });
    expect(limiter.take('beta', 3, 1000)).toEqual({ retryAfterSeconds: 60, justLimited: true });
    expect(limiter.take('alpha', 3, 61_000)).toBeUndefined();
  });
});
