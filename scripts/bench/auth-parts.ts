// The parts of the auth path, each runnable on its own so scripts/bench/instructions.mjs can count the
// instructions of one of them under callgrind: `node auth-parts.js <part> <count>` runs a part `count` times.
// Bundled from the product's own source by instructions.mjs; the parts are the code the server runs.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'hono';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import { FailureThrottle } from '../../src/auth/throttle.js';
import { tokenDigest } from '../../src/auth/token.js';
import { TokenRateLimiter } from '../../src/auth/token-rate.js';
import { TokenRegistry } from '../../src/auth/token-registry.js';
import { UsageRecorder } from '../../src/auth/token-usage.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';

const token = randomBytes(32).toString('base64url');
const registry = new TokenRegistry(new AcceptedTokens({ value: token }));
/** The same, on a server that also has one named token: the presented token is then hashed as well. */
const registryWithNamed = new TokenRegistry(new AcceptedTokens({ value: token }));
const named = randomBytes(32).toString('base64url');
registryWithNamed.replaceNamed([
  {
    name: 'lead',
    sha256: tokenDigest(named).toString('hex'),
    hint: named.slice(-4),
    scopes: ['run'],
    created_at: new Date().toISOString(),
    expires_at: null,
    revoked_at: null,
    rate_per_minute: null,
  },
]);
const usageDir = mkdtempSync(join(tmpdir(), 'fleet-mcp-auth-parts-'));
const usage = new UsageRecorder({ file: join(usageDir, 'tokens-usage.json'), flushMs: 3_600_000, onError: () => {} });
const logger = createLogger({ level: 'silent' });
const guard = { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set<string>() };
const answer = (c: Context): Promise<Response> => Promise.resolve(c.json({ ok: true }));

/** The same app as `serve`, with the MCP handler replaced by a constant answer: on and off differ by auth alone. */
const appOn = createApp({
  guard,
  authenticate: registry.authenticate,
  throttle: new FailureThrottle({ limit: 10, windowMs: 60_000, maxClients: 1000 }),
  rateLimiter: new TokenRateLimiter(),
  usage,
  mcp: answer,
  logger,
});
const appOff = createApp({ guard, mcp: answer, logger });

/**
 * What @hono/node-server hands the app: the raw header list of the Node request, as a client sends it. Both apps
 * get the same request, token included, so on and off differ by what the app does with it.
 */
function env(withToken: boolean) {
  const rawHeaders = [
    'Host',
    '127.0.0.1:3000',
    'Content-Type',
    'application/json',
    'Accept',
    'application/json, text/event-stream',
    'Content-Length',
    '80',
  ];
  if (withToken) rawHeaders.push('Authorization', `Bearer ${token}`);
  return { incoming: { rawHeaders } };
}

function request(withToken: boolean): Request {
  const headers: Record<string, string> = {
    host: '127.0.0.1:3000',
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (withToken) headers.authorization = `Bearer ${token}`;
  return new Request('http://127.0.0.1:3000/mcp', { method: 'POST', headers });
}

const envWithToken = env(true);
const envWithout = env(false);

const limiter = new TokenRateLimiter();

const PARTS: Record<string, () => unknown> = {
  /** SHA-256 of the presented token. */
  digest: () => tokenDigest(token),
  /** The whole token check, shared token only: a constant-time comparison with every accepted token. */
  authenticate: () => registry.authenticate(token),
  /** The whole token check with one named token: the comparison, the digest, and a comparison with every named digest. */
  'authenticate-named': () => registryWithNamed.authenticate(token),
  /** Counting the request for the token's usage statistics (tokens-usage.json). */
  usage: () => usage.touch('shared'),
  /** The per-token rate limit's bookkeeping, for a token that has a limit. */
  rate: () => limiter.take('t', 1_000_000),
  /** A request through the app with auth on, answered without MCP. */
  'app-on': () => appOn.fetch(request(true), envWithToken),
  /** The same request with auth off. */
  'app-off': () => appOff.fetch(request(true), envWithToken),
  /**
   * Auth off and no token sent: against app-off, what one more header costs here, mostly in building the WHATWG
   * Request above, which a server does lazily; it shows why the servers are sent the same request.
   */
  'app-off-no-token': () => appOff.fetch(request(false), envWithout),
};

const [part, count] = [process.argv[2]!, Number(process.argv[3])];
const run = PARTS[part];
if (!run) throw new Error(`unknown part ${part}; one of ${Object.keys(PARTS).join(', ')}`);
// Only a request through the app is awaited: awaiting a plain value still costs a microtask turn, which would be
// counted as if the part itself spent it.
if (part.startsWith('app')) for (let i = 0; i < count; i += 1) await run();
else for (let i = 0; i < count; i += 1) run();
usage.close();
rmSync(usageDir, { recursive: true, force: true });
