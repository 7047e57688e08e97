import { timingSafeEqual } from 'node:crypto';

export interface TokenSet {
  value: string;
  previous?: { value: string; expires_at: string };
}

/**
 * Bytes every comparison covers. A presented token is written into a zeroed buffer of this width and compared
 * whole with each accepted token, zero-padded to the same width, so the time taken tells neither the content nor
 * the length of an accepted token. Only a token longer than this (a secret manager's choice) widens it.
 */
const MIN_WIDTH = 256;

interface Accepted {
  padded: Buffer;
  length: number;
  /** Epoch ms after which the token is refused; the current token has none. */
  expiresAt?: number;
}

/**
 * The tokens a running server accepts: the current one and, during a rotation grace period, the previous
 * one. Replaced as a whole when the token file changes, so a request sees either the old set or the new.
 */
export class AcceptedTokens {
  private accepted: Accepted[] = [];
  private scratch = Buffer.alloc(MIN_WIDTH);

  constructor(tokens: TokenSet) {
    this.replace(tokens);
  }

  replace(tokens: TokenSet): void {
    const width = Math.max(MIN_WIDTH, Buffer.byteLength(tokens.value), Buffer.byteLength(tokens.previous?.value ?? ''));
    const padded = (value: string): Buffer => {
      const buffer = Buffer.alloc(width);
      buffer.write(value);
      return buffer;
    };
    const accepted: Accepted[] = [{ padded: padded(tokens.value), length: tokens.value.length }];
    if (tokens.previous) {
      const { value, expires_at } = tokens.previous;
      accepted.push({ padded: padded(value), length: value.length, expiresAt: Date.parse(expires_at) });
    }
    this.accepted = accepted;
    this.scratch = Buffer.alloc(width);
  }

  readonly verify = (presented: string): boolean => this.matches(presented, Date.now());

  /** When an accepted token next stops being accepted (the previous one's grace ends); undefined when none will. */
  nextExpiry(now: number): number | undefined {
    const ends = this.accepted
      .map((entry) => entry.expiresAt)
      .filter((at): at is number => at !== undefined && at > now);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }

  /**
   * Whether a presented token is one of the accepted tokens at `now`. Accepted tokens are ASCII, so a presented
   * value matches only if its UTF-8 bytes are the same ASCII bytes followed by the padding, and the length
   * check then refuses a value that carries the padding's zero bytes itself.
   */
  matches(presented: string, now: number): boolean {
    const scratch = this.scratch;
    scratch.fill(0, scratch.write(presented));
    let ok = false;
    // Every entry is compared over the whole width, so the time taken does not tell which entry matched.
    for (const entry of this.accepted) {
      if (
        timingSafeEqual(scratch, entry.padded) &&
        presented.length === entry.length &&
        (entry.expiresAt === undefined || now < entry.expiresAt)
      )
        ok = true;
    }
    return ok;
  }
}
