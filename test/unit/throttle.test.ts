import { describe, expect, it } from 'vitest';
import { FailureThrottle } from '../../src/auth/throttle.js';

describe('FailureThrottle', () => {
  it('allows the limit, throttles the next failure once, and forgets after the window', () => {
    const throttle = new FailureThrottle({ limit: 3, windowMs: 60_000, maxClients: 100 });
    for (let i = 1; i <= 3; i++) expect(throttle.fail('a', 1000)).toEqual({ failures: i, justThrottled: false });
    expect(throttle.fail('a', 1000)).toEqual({ failures: 4, retryAfterSeconds: 60, justThrottled: true });
    expect(throttle.fail('a', 31_000)).toMatchObject({ retryAfterSeconds: 30, justThrottled: false });
    expect(throttle.fail('b', 31_000)).toEqual({ failures: 1, justThrottled: false });
    expect(throttle.fail('a', 61_000)).toEqual({ failures: 1, justThrottled: false });
  });

  it('remembers at most maxClients addresses', () => {
    const throttle = new FailureThrottle({ limit: 3, windowMs: 60_000, maxClients: 100 });
    for (let i = 0; i < 10_000; i++) throttle.fail(`10.0.${i >> 8}.${i & 255}`, 1000);
    expect(throttle.size).toBeLessThanOrEqual(100);
  });
});
