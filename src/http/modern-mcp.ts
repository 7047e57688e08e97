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

/**
 * What the SDK's onerror reported and no answer has claimed yet. The SDK reports the fault behind a 500 just before
 * it returns that answer, with nothing but promise steps between the two, so the request it answers claims it in the
 * same run of the microtask queue; whatever is left when that run ends was a refusal, or a fault of no request.
 */
class Reports {
  private readonly unclaimed: Error[] = [];

  constructor(private readonly logger: Logger) {}

  add(error: Error): void {
    if (this.unclaimed.push(error) === 1) setImmediate(() => this.logRefusals());
  }

  /** The last report, for the answer that has just come back as a 500. */
  claimFault(): Error | undefined {
    return this.unclaimed.pop();
  }

  private logRefusals(): void {
    for (const error of this.unclaimed.splice(0)) this.logger.debug({ err: error }, 'MCP 2026-07-28 request refused');
  }
}

/**
 * The 2026-07-28 side of /mcp: the v2 SDK's handler, strict (2025-era requests never reach it), serving each
 * request from an idle server of the request's token. Auth, scopes, limits and the Host/Origin guard run before it.
 */
export function createModernHandler(deps: McpServerDeps, logger: Logger): ModernHandler {
  const pool = new ModernServerPool({ deps, maxIdle: MAX_IDLE_POOLED_SERVERS });
  // The SDK's onerror does not say which request it reports for; an AsyncLocalStorage could, but on Node 20 it
  // puts a hook on every promise of the process, which cost more than the rest of our part of a modern call.
  const reports = new Reports(logger);
  const handler: McpHttpHandler = createMcpHandler(({ authInfo }) => pool.take(identityOf(authInfo)), {
    legacy: 'reject',
    bus: deps.events,
    maxRequestBodySize: MAX_BODY_BYTES,
    onerror: (error) => reports.add(error),
  });
  return {
    fetch: async (request, identity, parsedBody, calledTool) => {
      const response = await handler.fetch(request, { authInfo: authInfoOf(identity), parsedBody });
      if (response.status !== 500) return response;
      const fault = reports.claimFault() ?? new Error('the MCP SDK answered 500 and reported no error');
      return answerFault(response, fault, { identity, tool: calledTool, logger });
    },
  };
}

interface FaultContext {
  identity: TokenIdentity;
  tool: string | undefined;
  logger: Logger;
}

/** Logs the fault behind a 500 at error level, with an id that the answer then carries. */
async function answerFault(response: Response, fault: Error, context: FaultContext): Promise<Response> {
  const what = 'MCP 2026-07-28 request failed with an unexpected error';
  const { logger, identity, tool } = context;
  const id = logInternalError(fault, { logger, tokenName: identity.name, tool, what });
  // The SDK's 500 is a JSON-RPC error whose message says no more than "Internal server error": it gets the id.
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!body?.error) return new Response(null, { status: 500 });
  body.error.message = internalErrorText(id);
  return Response.json(body, { status: 500 });
}
