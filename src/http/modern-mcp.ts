import { createMcpHandler, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../auth/identity.js';
import { isScope } from '../auth/scopes.js';
import type { Logger } from '../log.js';
import type { McpServerDeps } from '../mcp/server.js';
import { createModernMcpServer } from '../mcp/modern/modern-server.js';
import { MAX_BODY_BYTES } from './limits.js';

/** What the v2 SDK hands the server factory of a request: the token's name and scopes, never its value. */
function authInfoOf(identity: TokenIdentity): AuthInfo {
  return { token: '', clientId: identity.name, scopes: [...identity.scopes] };
}

function identityOf(authInfo: AuthInfo | undefined): TokenIdentity {
  if (!authInfo) throw new Error('A 2026-07-28 request reached the MCP handler without the identity of its token.');
  return { name: authInfo.clientId, scopes: authInfo.scopes.filter(isScope), ratePerMinute: null };
}

export interface ModernHandler {
  /** Serves one request; `calledTool` names the tool of a tools/call, whose server then needs no other tool. */
  fetch(request: Request, identity: TokenIdentity, parsedBody: unknown, calledTool: string | undefined): Promise<Response>;
}

/**
 * The 2026-07-28 side of /mcp: the v2 SDK's handler, strict (2025-era requests never reach it), serving each
 * request from a server made for the request's token. Auth, scopes, limits and the Host/Origin guard run before it.
 */
export function createModernHandler(deps: McpServerDeps, logger: Logger): ModernHandler {
  // The SDK hands its server factory the request, not its body: what the body called is looked up by the request.
  const calledTools = new WeakMap<Request, string>();
  const handler: McpHttpHandler = createMcpHandler(
    ({ authInfo, requestInfo }) => createModernMcpServer(deps, identityOf(authInfo), requestInfo && calledTools.get(requestInfo)),
    {
      legacy: 'reject',
      bus: deps.events,
      maxRequestBodySize: MAX_BODY_BYTES,
      onerror: (error) => logger.debug({ err: error }, 'MCP 2026-07-28 request refused'),
    },
  );
  return {
    fetch: (request, identity, parsedBody, calledTool) => {
      if (calledTool !== undefined) calledTools.set(request, calledTool);
      return handler.fetch(request, { authInfo: authInfoOf(identity), parsedBody });
    },
  };
}
