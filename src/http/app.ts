import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bearerAuth, type AuthErrorCode } from '../auth/bearer.js';
import { UNAUTHENTICATED_IDENTITY, type AuthVariables, type TokenIdentity } from '../auth/identity.js';
import type { FailureThrottle } from '../auth/throttle.js';
import type { Authentication } from '../auth/token-registry.js';
import type { TokenRateLimiter } from '../auth/token-rate.js';
import type { UsageRecorder } from '../auth/token-usage.js';
import type { Logger } from '../log.js';
import { logText } from '../log-text.js';
import { LEGACY_MESSAGES_PATH, type LegacySse } from './legacy-sse.js';
import type { TokenBoundRequests } from './token-bound-requests.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { hostGuard, type HostGuardOptions } from './host-guard.js';
import { MAX_BODY_BYTES } from './limits.js';
import { GIT_HTTP_PREFIX, type GitHttpApp } from './git-http.js';
import { clientAddress } from './client-address.js';
import { UI_PREFIX } from './ui/paths.js';
import type { UiEnv } from './ui/ui-env.js';

export interface AppOptions {
  guard: HostGuardOptions;
  /** Present when auth is enabled: says whose a presented token is, or why it is refused. */
  authenticate?: (token: string) => Authentication;
  /** Failed authentications per client; over its limit a client gets 429 instead of 401. */
  throttle?: FailureThrottle;
  /** Limits the requests of tokens that carry a per-minute limit. */
  rateLimiter?: TokenRateLimiter;
  /** Told of every authenticated request, for the usage statistics of `token list`. */
  usage?: UsageRecorder;
  /** Every authenticated request until its answer ends, so it is cut when its token stops being accepted. */
  requests?: TokenBoundRequests;
  mcp: (c: Context) => Promise<Response>;
  /** GET /sse and POST /messages for older clients, behind the same auth as /mcp. */
  legacySse?: LegacySse;
  /**
   * git's smart HTTP for remote agents (git-http.ts), at /git: behind the Host guard, before the bearer auth, as
   * git clients authenticate with their task's credential, not a server token.
   */
  git?: GitHttpApp;
  /** The web view (ui/ui-app.ts), at /ui before the bearer auth, as it logs in with a form; absent: /ui is a 404. */
  ui?: Hono<UiEnv>;
  logger: Logger;
}

type Env = { Bindings: HttpBindings; Variables: AuthVariables };

/** `/.well-known/...` under any prefix: mcp-remote asks `/mcp/.well-known/openid-configuration`. */
function isDiscoveryProbe(path: string): boolean {
  // Split only a path that may be one: every request passes here.
  return path.includes('/.well-known') && path.split('/').includes('.well-known');
}

/** Where a client's OAuth fallback ends when discovery finds nothing: the default endpoints of MCP 2025-03-26. */
const OAUTH_ENDPOINTS = new Set(['/register', '/authorize', '/token']);

const NO_OAUTH =
  'This server has no OAuth authorization server: clients send the bearer token that `fleet-mcp token show` prints on its host, as "Authorization: Bearer <token>".';

type ErrorStatus = 404 | 413 | 429 | 500;

function jsonError(c: Context, status: ErrorStatus, error: string, description: string): Response {
  return c.json({ error, error_description: description }, status);
}

function tooManyAttempts(c: Context, retryAfterSeconds: number): Response {
  c.header('Retry-After', String(retryAfterSeconds));
  c.header('Cache-Control', 'no-store');
  return jsonError(
    c,
    429,
    'too_many_attempts',
    `Too many failed authentication attempts; retry in ${retryAfterSeconds} s.`,
  );
}

function authFailureHandler(options: AppOptions): (code: AuthErrorCode, c: Context) => Response | undefined {
  return (code, c) => {
    // A client's OAuth fallback posts here without its token, even when it holds one: it gets the 401 and its hint,
    // as its user's only view of why, but no warning or throttle count.
    if (code === 'missing_token' && OAUTH_ENDPOINTS.has(c.req.path)) return undefined;
    const client = clientAddress(c);
    const verdict = options.throttle?.fail(client);
    const fields = { client, method: logText(c.req.method), path: logText(c.req.path) };
    if (!verdict?.retryAfterSeconds) {
      options.logger.warn({ error: code, ...fields }, 'authentication failed');
      return undefined;
    }
    // One line when a client starts being throttled, not one per refused attempt: a flood must not flood the log.
    if (verdict.justThrottled)
      options.logger.warn({ error: 'too_many_attempts', last_error: code, ...fields }, 'client throttled');
    return tooManyAttempts(c, verdict.retryAfterSeconds);
  };
}

/** Keeps the request cuttable until its answer has ended: a stream or a long call must not outlive its token. */
function bindToToken(requests: TokenBoundRequests, tokenName: string, token: string, c: Context<Env>): void {
  const outgoing = c.env?.outgoing;
  if (!outgoing) return;
  // `on`, not `once`: a response closes once, and once's wrapper would be one more allocation per request.
  outgoing.on(
    'close',
    requests.track(token, tokenName, () => outgoing.destroy()),
  );
}

/**
 * Counts each authenticated request for its token, holds a token to its per-minute limit if it has one, and binds
 * each request it lets through to its token.
 */
function tokenAccounting(
  options: AppOptions,
): (identity: TokenIdentity, c: Context<Env>, token: string) => Response | undefined {
  return (identity, c, token) => {
    options.usage?.touch(identity.name);
    const limited =
      identity.ratePerMinute === null ? undefined : options.rateLimiter?.take(identity.name, identity.ratePerMinute);
    if (!limited) {
      if (options.requests) bindToToken(options.requests, identity.name, token, c);
      return undefined;
    }
    // One line when a token goes over its limit, not one per refused request.
    if (limited.justLimited) {
      options.logger.warn(
        { token_name: identity.name, client: clientAddress(c), limit_per_minute: identity.ratePerMinute },
        'token over its rate limit',
      );
    }
    c.header('Retry-After', String(limited.retryAfterSeconds));
    return jsonError(
      c,
      429,
      'rate_limited',
      `Token "${identity.name}" may make ${identity.ratePerMinute} requests a minute; retry in ${limited.retryAfterSeconds} s.`,
    );
  };
}

/**
 * Refuses a body whose declared length is over the limit, from the header alone. hono's bodyLimit touches the
 * request's body stream, which makes the Node adapter build a full WHATWG Request: a third of the cost of a
 * tools/call in the bench. A body without a declared length is counted by the SDK transport's reader, which
 * answers 413 past the same limit.
 */
function limitDeclaredBody(
  tooLarge: (c: Context) => Response,
  handler: (c: Context) => Promise<Response>,
): (c: Context) => Promise<Response> {
  // The handler wrapped rather than a middleware step before it: each step of the chain costs every request.
  return (c) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return Promise.resolve(tooLarge(c));
    return handler(c);
  };
}

export function createApp(options: AppOptions): Hono<Env> {
  const { logger } = options;
  const app = new Hono<Env>();

  app.use('*', hostGuard(options.guard));
  if (options.git) app.route(GIT_HTTP_PREFIX, options.git);
  if (options.ui) app.route(UI_PREFIX, options.ui);
  else
    app.all(`${UI_PREFIX}/*`, (c) =>
      jsonError(c, 404, 'not_found', 'The web view is off on this server (--no-ui or FLEET_MCP_UI=false).'),
    );
  app.get('/health', (c) => c.json({ status: 'healthy', service: SERVICE_NAME, version: VERSION }));

  // Clients probe these for OAuth discovery, often without a header even when they hold the token: a JSON 404 sends
  // them on to the registration endpoint, whose answer they show, and costs no log warning or throttle count.
  app.use('*', (c, next) => {
    if (!isDiscoveryProbe(c.req.path)) return next();
    return Promise.resolve(jsonError(c, 404, 'not_found', NO_OAUTH));
  });

  if (options.authenticate) {
    // Registered before every other route, so an unauthenticated request is refused before routing.
    app.use(
      '*',
      bearerAuth({
        realm: SERVICE_NAME,
        authenticate: options.authenticate,
        onFailure: authFailureHandler(options),
        admit: tokenAccounting(options),
      }),
    );
  } else {
    app.use('*', (c, next) => {
      c.set('identity', UNAUTHENTICATED_IDENTITY);
      return next();
    });
  }

  const tooLarge = (c: Context): Response =>
    jsonError(c, 413, 'payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
  app.all('/mcp', limitDeclaredBody(tooLarge, options.mcp));
  if (options.legacySse) {
    app.get('/sse', options.legacySse.connect);
    app.post(
      LEGACY_MESSAGES_PATH,
      bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge }),
      options.legacySse.message,
    );
  }
  for (const path of OAUTH_ENDPOINTS) app.all(path, (c) => jsonError(c, 404, 'not_found', NO_OAUTH));
  app.notFound((c) => jsonError(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => {
    logger.error({ err: error, method: logText(c.req.method), path: logText(c.req.path) }, 'request failed');
    return jsonError(c, 500, 'internal_error', 'The server failed to handle this request; see its log.');
  });
  return app;
}
