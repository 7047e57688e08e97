import { timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import type { AcceptedTokens } from './accepted-tokens.js';
import { SHARED_IDENTITY, type TokenIdentity } from './identity.js';
import type { NamedTokenRecord } from './named-token-store.js';
import { tokenDigest } from './token.js';

export type Authentication = { ok: true; identity: TokenIdentity } | { ok: false; reason: string };

interface NamedEntry {
  digest: Buffer;
  record: NamedTokenRecord;
  identity: TokenIdentity;
}

const NOT_ACCEPTED = 'The bearer token is not a token of this server.';

/**
 * Every token a running server accepts: the shared token (admin) and the named tokens, whose records are replaced
 * as a whole when their file changes. A presented token is compared with every entry in constant time, so neither
 * timing nor the answer tells anything about the other tokens.
 */
export class TokenRegistry {
  private named: NamedEntry[] = [];

  constructor(
    private readonly shared: AcceptedTokens,
    private readonly clock: Clock = systemClock,
  ) {}

  replaceNamed(records: readonly NamedTokenRecord[]): void {
    this.named = records.map((record) => ({
      digest: Buffer.from(record.sha256, 'hex'),
      record,
      identity: { name: record.name, scopes: record.scopes, ratePerMinute: record.rate_per_minute },
    }));
  }

  /** When a token accepted now next stops being accepted by itself (an expiry, a grace period's end); undefined when none will. */
  nextExpiry(): number | undefined {
    const now = this.clock.now();
    const ends = this.named
      .filter(({ record }) => record.revoked_at === null && record.expires_at !== null)
      .map(({ record }) => Date.parse(record.expires_at!))
      .filter((at) => at > now);
    const shared = this.shared.nextExpiry(now);
    if (shared !== undefined) ends.push(shared);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }

  readonly authenticate = (presented: string): Authentication => {
    const now = this.clock.now();
    let result: Authentication = this.shared.matches(presented, now)
      ? { ok: true, identity: SHARED_IDENTITY }
      : { ok: false, reason: NOT_ACCEPTED };
    // Named tokens are kept only as digests, so the presented token is hashed when there are any. The time taken
    // then says whether named tokens exist at all, never which token matched.
    if (this.named.length === 0) return result;
    const digest = tokenDigest(presented);
    for (const entry of this.named) {
      if (timingSafeEqual(digest, entry.digest)) result = judge(entry, now);
    }
    return result;
  };
}

/** A presented token matched this record: it is accepted unless revoked or expired, and the refusal says which. */
function judge(entry: NamedEntry, now: number): Authentication {
  const { record } = entry;
  if (record.revoked_at !== null)
    return { ok: false, reason: `This token ("${record.name}") was revoked at ${record.revoked_at}.` };
  if (record.expires_at !== null && now >= Date.parse(record.expires_at)) {
    return { ok: false, reason: `This token ("${record.name}") expired at ${record.expires_at}.` };
  }
  return { ok: true, identity: entry.identity };
}
