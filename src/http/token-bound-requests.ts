import type { Authentication } from '../auth/token-registry.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

export interface TokenBoundRequestsOptions {
  /** Judges a presented token now, as a new request presenting it would be judged. */
  authenticate: (token: string) => Authentication;
  /** When a token accepted now next stops being accepted by itself (an expiry, a grace period's end). */
  nextExpiry: () => number | undefined;
  clock: Clock;
  logger: Logger;
}

interface Bound {
  /** Held as long as the request itself holds it (its raw headers), and never logged. */
  token: string;
  tokenName: string;
  cut: () => void;
}

/**
 * Requests being answered, each with the token it presented. A stream (GET /mcp, GET /sse, an event-stream answer)
 * or a long call outlives the check made when it arrived; when the accepted tokens change, or one reaches its
 * expiry, every request whose token is no longer accepted is cut, so a revoked, expired or rotated-out token keeps
 * nothing open.
 */
export class TokenBoundRequests {
  private readonly open = new Set<Bound>();
  private cancelTimer: (() => void) | undefined;

  constructor(private readonly options: TokenBoundRequestsOptions) {
    this.arm();
  }

  /** Keeps `cut` for the request until the returned function is called, when the request has ended. */
  track(token: string, tokenName: string, cut: () => void): () => void {
    const bound: Bound = { token, tokenName, cut };
    this.open.add(bound);
    return () => void this.open.delete(bound);
  }

  /** Cuts the requests whose token is no longer accepted, and sets the timer for the next expiry. */
  recheck(): void {
    const refused = [...this.open].filter((bound) => !this.options.authenticate(bound.token).ok);
    for (const bound of refused) {
      this.open.delete(bound);
      bound.cut();
    }
    if (refused.length > 0) {
      const names = [...new Set(refused.map((bound) => bound.tokenName))];
      this.options.logger.info(
        { token_names: names, requests: refused.length },
        'cut requests whose token is no longer accepted',
      );
    }
    this.arm();
  }

  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** One timer, at the next expiry of any accepted token: a timer that fires early finds nothing to cut and is set again. */
  private arm(): void {
    this.close();
    const at = this.options.nextExpiry();
    if (at === undefined) return;
    this.cancelTimer = this.options.clock.setTimer(() => this.recheck(), at - this.options.clock.now());
  }
}
