export interface FailureThrottleOptions {
  /** Failures allowed per client within one window; the next one is refused with 429. */
  limit: number;
  windowMs: number;
  /** Bound on remembered clients, so a flood of addresses cannot grow memory without end. */
  maxClients: number;
}

export interface FailureVerdict {
  /** Failures of this client in the current window, this one included. */
  failures: number;
  /** Seconds until the window ends, when the client is over the limit. */
  retryAfterSeconds?: number;
  /** True for the one failure that put the client over the limit in this window. */
  justThrottled: boolean;
}

interface Window {
  startedAt: number;
  failures: number;
}

/** Counts failed authentications per client address in fixed windows. */
export class FailureThrottle {
  private readonly options: FailureThrottleOptions;
  private readonly windows = new Map<string, Window>();

  constructor(options: FailureThrottleOptions) {
    this.options = options;
  }

  /** Records one failure and says whether the client is now over the limit. */
  fail(client: string, now = Date.now()): FailureVerdict {
    let window = this.windows.get(client);
    if (!window || now - window.startedAt >= this.options.windowMs) {
      this.windows.delete(client);
      window = { startedAt: now, failures: 0 };
      this.evict(now);
    }
    // Re-inserting keeps the map ordered by last failure, so the oldest entry is the first to go.
    this.windows.delete(client);
    this.windows.set(client, window);
    window.failures += 1;
    const { limit, windowMs } = this.options;
    if (window.failures <= limit) return { failures: window.failures, justThrottled: false };
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + windowMs - now) / 1000));
    return { failures: window.failures, retryAfterSeconds, justThrottled: window.failures === limit + 1 };
  }

  get size(): number {
    return this.windows.size;
  }

  private evict(now: number): void {
    for (const [client, window] of this.windows) {
      if (this.windows.size < this.options.maxClients && now - window.startedAt < this.options.windowMs) return;
      this.windows.delete(client);
    }
  }
}
