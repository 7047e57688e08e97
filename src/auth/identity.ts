import type { Scope } from './scopes.js';

/** Who a request speaks for: the name of the token it presented (never its value) and what that token may do. */
export interface TokenIdentity {
  name: string;
  scopes: readonly Scope[];
  /** Requests this token may make per minute; null for no limit. */
  ratePerMinute: number | null;
}

export const SHARED_IDENTITY: TokenIdentity = { name: 'shared', scopes: ['admin'], ratePerMinute: null };

/** A client that launched `fleet-mcp stdio` itself: it runs as the user, so it may do anything. */
export const STDIO_IDENTITY: TokenIdentity = { name: 'stdio', scopes: ['admin'], ratePerMinute: null };

/** Requests to a server with auth disabled: nobody is named, and nothing is held back. */
export const UNAUTHENTICATED_IDENTITY: TokenIdentity = {
  name: 'unauthenticated',
  scopes: ['admin'],
  ratePerMinute: null,
};

/** What the auth middleware leaves on the request context for the handlers after it. */
export type AuthVariables = { identity: TokenIdentity };
