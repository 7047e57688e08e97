import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthVariables, TokenIdentity } from './identity.js';
import { isB64Token } from './token.js';
import type { Authentication } from './token-registry.js';

export type AuthErrorCode = 'missing_token' | 'malformed_header' | 'invalid_token';

export interface BearerAuthOptions {
  /**
   * Says whose a well-formed presented token is, or why it is refused (unknown, expired, revoked); must compare in
   * constant time.
   */
  authenticate: (token: string) => Authentication;
  realm: string;
  /**
   * Called once per refused request, so the caller can log or throttle it; it is never handed the presented
   * token. A Response it returns is sent instead of the 401.
   */
  onFailure?: (code: AuthErrorCode, c: Context) => Response | undefined;
  /**
   * Called once per accepted request, in the same middleware step (a step of its own costs more than the token
   * check): a Response it returns is sent instead of handling the request, e.g. when the token is over its rate.
   * It is handed the presented token, for judging it again while the request is answered.
   */
  admit?: (identity: TokenIdentity, c: Context, token: string) => Response | undefined;
}

// Every refusal says how to get a token: the description is often all a client shows its user.
const TOKEN_HINT = "`fleet-mcp token show` on the server's host prints its token.";

const DESCRIPTIONS: Record<Exclude<AuthErrorCode, 'invalid_token'>, string> = {
  missing_token: `This server requires a bearer token: send "Authorization: Bearer <token>". ${TOKEN_HINT}`,
  malformed_header: `The Authorization header must be exactly one "Bearer <token>" with a token of RFC 6750 characters. ${TOKEN_HINT}`,
};

const CHALLENGE_ERRORS: Record<AuthErrorCode, string | undefined> = {
  missing_token: undefined,
  malformed_header: 'invalid_request',
  invalid_token: 'invalid_token',
};

// RFC 9110 §11.1: the scheme is case-insensitive; one or more spaces may separate it from the token.
const BEARER = /^bearer +(\S+)$/i;

type Classified = { ok: true; token: string } | { ok: false; code: Exclude<AuthErrorCode, 'invalid_token'> };

function classify(values: string[]): Classified {
  if (values.length === 0) return { ok: false, code: 'missing_token' };
  if (values.length > 1) return { ok: false, code: 'malformed_header' };
  const match = BEARER.exec(values[0]!);
  if (!match || !isB64Token(match[1]!)) return { ok: false, code: 'malformed_header' };
  return { ok: true, token: match[1]! };
}

function challenge(realm: string, code: AuthErrorCode): string {
  const error = CHALLENGE_ERRORS[code];
  return error ? `Bearer realm="${realm}", error="${error}"` : `Bearer realm="${realm}"`;
}

function unauthorized(realm: string, code: AuthErrorCode, description: string): Response {
  return new Response(JSON.stringify({ error: code, error_description: description }), {
    status: 401,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'WWW-Authenticate': challenge(realm, code),
    },
  });
}

const AUTHORIZATION = 'authorization';

/**
 * Node keeps only the first of repeated Authorization headers, so the raw header list is read where the Node
 * adapter provides it: a request carrying two tokens is refused rather than judged by one of them.
 */
function authorizationValues(c: Context): string[] {
  const rawHeaders = (c.env as Partial<HttpBindings> | undefined)?.incoming?.rawHeaders;
  if (!rawHeaders) {
    const value = c.req.header('authorization');
    return value === undefined ? [] : [value];
  }
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Most names differ in length, so only a name of the right length is lower-cased (a copy) to compare.
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION) values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/**
 * Bearer token middleware in the manner of hono's `bearerAuth`, but every refusal is a 401 carrying the typed
 * error body and RFC 6750 challenge of the HTTP contract (hono answers a malformed header with a bare 400).
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  // Not an async function: the chain awaits what it returns, and handing over next()'s promise itself saves a step.
  return (c, next) => {
    const result = classify(authorizationValues(c));
    if (!result.ok)
      return Promise.resolve(
        options.onFailure?.(result.code, c) ?? unauthorized(options.realm, result.code, DESCRIPTIONS[result.code]),
      );
    const authentication = options.authenticate(result.token);
    if (!authentication.ok) {
      return Promise.resolve(
        options.onFailure?.('invalid_token', c) ??
          unauthorized(options.realm, 'invalid_token', `${authentication.reason} ${TOKEN_HINT}`),
      );
    }
    const refused = options.admit?.(authentication.identity, c, result.token);
    if (refused) return Promise.resolve(refused);
    c.set('identity', authentication.identity);
    return next();
  };
}
