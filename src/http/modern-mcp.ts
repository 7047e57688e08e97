import { AsyncLocalStorage } from 'node:async_hooks';
import { createMcpHandler, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../auth/identity.js';
import { isScope } from '../auth/scopes.js';
import type { Logger } from '../log.js';
import type { McpServerDeps } from '../mcp/server.js';
import { internalErrorText, logInternalError } from '../mcp/internal-error.js';
import { MAX_BODY_BYTES } from './limits.js';
import { ModernServerPool } from './modern-server-pool.js';

/** What the v2 SDK hands the server factory of a request: the token's name and scopes, never its value. */
function authInfoOf(identity: TokenIdentity): AuthInfo {
  return { token: '', clientId: identity.name, scopes: [...identity.scopes] };
}

function identityOf(authInfo: AuthInfo | undefined): TokenIdentity {
  if (!authInfo) throw new Error('A 2026-07-28 request reached the MCP handler without the identity of its token.');
  return { name: authInfo.clientId, scopes: authInfo.scopes.filter(isScope), ratePerMinute: null };
}

export interface ModernHandler {
  /** Serves one request; `calledTool` names the tool of a tools/call, for the log of a fault. */
  fetch(
    request: Request,
    identity: TokenIdentity,
    parsedBody: unknown,
    calledTool: string | undefined,
  ): Promise<Response>;
}

/** Idle servers kept for 2026-07-28 requests: enough for the concurrent clients of a busy host. */
const MAX_IDLE_POOLED_SERVERS = 32;

/** What the SDK reported while it served one request: refusals, or the fault behind its 500. */
interface Exchange {
  identity: TokenIdentity;
  tool: string | undefined;
  reported: Error[];
  answered: boolean;
}

/**
 * The 2026-07-28 side of /mcp: the v2 SDK's handler, strict (2025-era requests never reach it), serving each
 * request from an idle server of the request's token. Auth, scopes, limits and the Host/Origin guard run before it.
 */
export function createModernHandler(deps: McpServerDeps, logger: Logger): ModernHandler {
  const pool = new ModernServerPool({ deps, maxIdle: MAX_IDLE_POOLED_SERVERS });
  // The SDK's onerror does not say which request, nor whether it answered 500: what it reports is kept with the
  // request it served (it reports within that request's async context) until its answer shows which it was.
  const exchanges = new AsyncLocalStorage<Exchange>();
  const handler: McpHttpHandler = createMcpHandler(({ authInfo }) => pool.take(identityOf(authInfo)), {
    legacy: 'reject',
    bus: deps.events,
    maxRequestBodySize: MAX_BODY_BYTES,
    onerror: (error) => {
      const exchange = exchanges.getStore();
      if (exchange && !exchange.answered) exchange.reported.push(error);
      else logger.debug({ err: error }, 'MCP 2026-07-28 request refused');
    },
  });
  return {
    fetch: async (request, identity, parsedBody, calledTool) => {
      const exchange: Exchange = { identity, tool: calledTool, reported: [], answered: false };
      const response = await exchanges.run(exchange, () =>
        handler.fetch(request, { authInfo: authInfoOf(identity), parsedBody }),
      );
      exchange.answered = true;
      return settle(response, exchange, logger);
    },
  };
}

/** Logs what the SDK reported: a refusal at debug, the fault behind a 500 at error, whose id the answer then carries. */
async function settle(response: Response, exchange: Exchange, logger: Logger): Promise<Response> {
  const fault =
    response.status === 500
      ? (exchange.reported.pop() ?? new Error('the MCP SDK answered 500 and reported no error'))
      : undefined;
  for (const error of exchange.reported) logger.debug({ err: error }, 'MCP 2026-07-28 request refused');
  if (!fault) return response;
  const what = 'MCP 2026-07-28 request failed with an unexpected error';
  const id = logInternalError(fault, { logger, tokenName: exchange.identity.name, tool: exchange.tool, what });
  // The SDK's 500 is a JSON-RPC error whose message says no more than "Internal server error": it gets the id.
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!body?.error) return new Response(null, { status: 500 });
  body.error.message = internalErrorText(id);
  return Response.json(body, { status: 500 });
}
