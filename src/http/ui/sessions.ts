import { UNAUTHENTICATED_IDENTITY, type TokenIdentity } from '../../auth/identity.js';
import type { Authentication } from '../../auth/token-registry.js';
import type { Clock } from '../../clock.js';
import { newSecret, secretDigest } from './secrets.js';

export interface UiSessionLimits {
  /** A session ends this long after its login, whatever happens. */
  lifetimeMs: number;
  /** A session ends when no request came (and no stream was open) for this long. */
  idleMs: number;
  /** Sessions kept at once; a new login past it ends the oldest. */
  maxSessions: number;
}

export const UI_SESSION_LIMITS: UiSessionLimits = {
  lifetimeMs: 12 * 3_600_000,
  idleMs: 3_600_000,
  maxSessions: 1_000,
};

/** One login: the token it was made with, judged again on every request, and the CSRF token of its forms. */
export interface UiSession {
  /** The token the login presented, kept in memory only, to judge again; undefined with auth disabled. */
  token: string | undefined;
  /** The token's name when the login was made, for the log. */
  tokenName: string;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  /** What ends each open event stream of this session. */
  streams: Set<() => void>;
}

export interface UiSessionsOptions {
  /** Judges a kept token now; absent with auth disabled, when every session is the unauthenticated caller's. */
  authenticate?: (token: string) => Authentication;
  clock: Clock;
  limits: UiSessionLimits;
}

export type SessionLookup = { ok: true; session: UiSession; identity: TokenIdentity } | { ok: false; reason: string };

/**
 * The web view's logins, by the digest of their cookie's secret: the secret itself is never kept, so nothing in
 * memory can be replayed as a cookie.
 */
export class UiSessions {
  private readonly byDigest = new Map<string, UiSession>();

  constructor(private readonly options: UiSessionsOptions) {}

  /** Makes a session and returns the secret its cookie carries. */
  create(token: string | undefined, tokenName: string): { secret: string; session: UiSession } {
    this.sweep();
    while (this.byDigest.size >= this.options.limits.maxSessions) {
      const oldest = this.byDigest.keys().next().value as string;
      this.endDigest(oldest);
    }
    const now = this.options.clock.now();
    const secret = newSecret();
    const session: UiSession = {
      token,
      tokenName,
      csrf: newSecret(),
      createdAt: now,
      lastSeenAt: now,
      streams: new Set(),
    };
    this.byDigest.set(secretDigest(secret), session);
    return { secret, session };
  }

  /** The session a cookie's secret names, if it is still valid and its token still accepted; touches it. */
  find(secret: string): SessionLookup {
    const digest = secretDigest(secret);
    const session = this.byDigest.get(digest);
    if (!session) return { ok: false, reason: 'no such session' };
    const now = this.options.clock.now();
    const { lifetimeMs, idleMs } = this.options.limits;
    const idle = session.streams.size === 0 && now - session.lastSeenAt >= idleMs;
    if (now - session.createdAt >= lifetimeMs || idle) {
      this.endDigest(digest);
      return { ok: false, reason: 'session expired' };
    }
    const identity = this.identityOf(session);
    if (!identity) {
      this.endDigest(digest);
      return { ok: false, reason: 'token no longer accepted' };
    }
    session.lastSeenAt = now;
    return { ok: true, session, identity };
  }

  /** Ends the session a cookie's secret names, and its open streams. */
  end(secret: string): void {
    this.endDigest(secretDigest(secret));
  }

  /** When the session must end by itself, for a stream that outlives the request that checked it. */
  expiresAt(session: UiSession): number {
    return session.createdAt + this.options.limits.lifetimeMs;
  }

  get size(): number {
    return this.byDigest.size;
  }

  closeAll(): void {
    for (const digest of [...this.byDigest.keys()]) this.endDigest(digest);
  }

  private identityOf(session: UiSession): TokenIdentity | undefined {
    if (!this.options.authenticate) return UNAUTHENTICATED_IDENTITY;
    if (session.token === undefined) return undefined;
    const judged = this.options.authenticate(session.token);
    return judged.ok ? judged.identity : undefined;
  }

  private endDigest(digest: string): void {
    const session = this.byDigest.get(digest);
    if (!session) return;
    this.byDigest.delete(digest);
    for (const cut of [...session.streams]) cut();
    session.streams.clear();
  }

  /** Drops sessions past their lifetime or idle limit, so forgotten logins do not pile up until the cap. */
  private sweep(): void {
    const now = this.options.clock.now();
    const { lifetimeMs, idleMs } = this.options.limits;
    for (const [digest, session] of this.byDigest) {
      const idle = session.streams.size === 0 && now - session.lastSeenAt >= idleMs;
      if (now - session.createdAt >= lifetimeMs || idle) this.endDigest(digest);
    }
  }
}
