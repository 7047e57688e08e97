interface Window {
  startedAt: number;
  requests: number;
}

/**
 * Per-token request limits in fixed one-minute windows. Counted by token name, so one client over its limit
 * never slows another token; memory is bounded by the number of named tokens.
 */
export class TokenRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly windowMs = 60_000) {}

  /** Counts one request; over `perMinute`, says how long to wait and whether this request was the first one over. */
  take(
    name: string,
    perMinute: number,
    now = Date.now(),
  ): { retryAfterSeconds: number; justLimited: boolean } | undefined {
    let window = this.windows.get(name);
    if (!window || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, requests: 0 };
      this.windows.set(name, window);
    }
    window.requests += 1;
    if (window.requests <= perMinute) return undefined;
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
    return { retryAfterSeconds, justLimited: window.requests === perMinute + 1 };
  }
}
