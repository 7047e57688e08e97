import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { bearerAuth, type AuthErrorCode } from '../auth/bearer.js';
import type { Logger } from '../log.js';
import { LEGACY_MESSAGES_PATH, type LegacySse } from './legacy-sse.js';
import { SERVICE_NAME, VERSION } from '../version.js';

export interface AppOptions {
  /** Present when auth is enabled: answers whether a presented token is the current one. */
  verifyToken?: (token: string) => boolean;
  mcp: (c: Context) => Promise<Response>;
  /** GET /sse and POST /messages for older clients, behind the same auth as /mcp. */
  legacySse?: LegacySse;
  logger: Logger;
}

type Env = { Bindings: HttpBindings };

function clientAddress(c: Context<Env>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

function jsonError(c: Context, status: 404 | 500, error: string, description: string): Response {
  return c.json({ error, error_description: description }, status);
}

export function createApp(options: AppOptions): Hono<Env> {
  const { logger } = options;
  const app = new Hono<Env>();

  app.get('/health', (c) => c.json({ status: 'healthy', service: SERVICE_NAME, version: VERSION }));

  // Clients probe these for OAuth discovery; a plain JSON 404 tells them to fall back to the static token.
  app.all('/.well-known/*', (c) => jsonError(c, 404, 'not_found', 'This server uses a static bearer token, not OAuth.'));

  if (options.verifyToken) {
    // Registered before every other route, so an unauthenticated request is refused before routing.
    app.use(
      '*',
      bearerAuth({
        realm: SERVICE_NAME,
        verify: options.verifyToken,
        onFailure: (code: AuthErrorCode, c) =>
          logger.warn({ error: code, client: clientAddress(c), method: c.req.method, path: c.req.path }, 'authentication failed'),
      }),
    );
  }

  app.all('/mcp', options.mcp);
  if (options.legacySse) {
    app.get('/sse', options.legacySse.connect);
    app.post(LEGACY_MESSAGES_PATH, options.legacySse.message);
  }
  app.notFound((c) => jsonError(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => {
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return jsonError(c, 500, 'internal_error', 'The server failed to handle this request; see its log.');
  });
  return app;
}
