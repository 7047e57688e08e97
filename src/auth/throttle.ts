export interface FailureThrottleOptions {
  /** Failures allowed per client within one window; the next one is refused with 429. */
  limit: number;
  windowMs: number;
  /** Bound on remembered clients, so a flood of addresses cannot grow memory without end. */
  maxClients: number;
}

interface Window {
  startedAt: number;
  failures: number;
}

/** Counts failed authentications per client address in fixed windows. */
export class FailureThrottle {
  readonly #options: FailureThrottleOptions;
  readonly #windows = new Map<string, Window>();

  constructor(options: FailureThrottleOptions) {
    this.#options = options;
  }

  /** Records one failure; returns the seconds to wait when the client is over the limit, else undefined. */
  fail(client: string, now = Date.now()): number | undefined {
    let window = this.#windows.get(client);
    if (!window || now - window.startedAt >= this.#options.windowMs) {
      this.#windows.delete(client);
      window = { startedAt: now, failures: 0 };
      this.#evict(now);
    }
    // Re-inserting keeps the map ordered by last failure, so the oldest entry is the first to go.
    this.#windows.delete(client);
    this.#windows.set(client, window);
    window.failures += 1;
    if (window.failures <= this.#options.limit) return undefined;
    return Math.max(1, Math.ceil((window.startedAt + this.#options.windowMs - now) / 1000));
  }

  get size(): number {
    return this.#windows.size;
  }

  #evict(now: number): void {
    for (const [client, window] of this.#windows) {
      if (this.#windows.size < this.#options.maxClients && now - window.startedAt < this.#options.windowMs) return;
      this.#windows.delete(client);
    }
  }
}
