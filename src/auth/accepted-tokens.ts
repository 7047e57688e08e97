import { timingSafeEqual } from 'node:crypto';
import { tokenDigest } from './token.js';

export interface TokenSet {
  value: string;
  previous?: { value: string; expires_at: string };
}

interface Accepted {
  digest: Buffer;
  /** Epoch ms after which the token is refused; the current token has none. */
  expiresAt?: number;
}

/**
 * The tokens a running server accepts: the current one and, during a rotation grace period, the previous
 * one. Replaced as a whole when the token file changes, so a request sees either the old set or the new.
 */
export class AcceptedTokens {
  #accepted: Accepted[] = [];

  constructor(tokens: TokenSet) {
    this.replace(tokens);
  }

  replace(tokens: TokenSet): void {
    const accepted: Accepted[] = [{ digest: tokenDigest(tokens.value) }];
    if (tokens.previous) {
      accepted.push({ digest: tokenDigest(tokens.previous.value), expiresAt: Date.parse(tokens.previous.expires_at) });
    }
    this.#accepted = accepted;
  }

  readonly verify = (presented: string): boolean => this.matches(tokenDigest(presented), Date.now());

  /** Whether the SHA-256 digest of a presented token is one of the accepted tokens at `now`. */
  matches(digest: Buffer, now: number): boolean {
    let ok = false;
    // Every entry is checked, so the time taken does not tell which entry matched.
    for (const entry of this.#accepted) {
      if (timingSafeEqual(digest, entry.digest) && (entry.expiresAt === undefined || now < entry.expiresAt)) ok = true;
    }
    return ok;
  }
}
