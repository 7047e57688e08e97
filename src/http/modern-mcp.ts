import { createMcpHandler, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../auth/identity.js';
import { isScope } from '../auth/scopes.js';
import type { Logger } from '../log.js';
import type { McpServerDeps } from '../mcp/server.js';
import { createModernMcpServer } from '../mcp/modern/modern-server.js';
import { MAX_BODY_BYTES } from './limits.js';

/** What the v2 SDK hands the server factory of a request: the token's name and scopes, never its value. */
export function authInfoOf(identity: TokenIdentity): AuthInfo {
  return { token: '', clientId: identity.name, scopes: [...identity.scopes] };
}

function identityOf(authInfo: AuthInfo | undefined): TokenIdentity {
  if (!authInfo) throw new Error('A 2026-07-28 request reached the MCP handler without the identity of its token.');
  return { name: authInfo.clientId, scopes: authInfo.scopes.filter(isScope), ratePerMinute: null };
}

/**
 * The 2026-07-28 side of /mcp: the v2 SDK's handler, strict (2025-era requests never reach it), serving each
 * request from a server made for the request's token. Auth, scopes, limits and the Host/Origin guard run before it.
 */
export function createModernHandler(deps: McpServerDeps, logger: Logger): McpHttpHandler {
  return createMcpHandler(({ authInfo }) => createModernMcpServer(deps, identityOf(authInfo)), {
    legacy: 'reject',
    bus: deps.events,
    maxRequestBodySize: MAX_BODY_BYTES,
    onerror: (error) => logger.debug({ err: error }, 'MCP 2026-07-28 request refused'),
  });
}
