import { McpServer } from '@modelcontextprotocol/server';
import type { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TokenIdentity } from '../../auth/identity.js';
import { grants } from '../../auth/scopes.js';
import { SERVICE_NAME, VERSION } from '../../version.js';
import { registerAgentResources } from '../agent-resources.js';
import { registerFleetTools } from '../fleet-tools.js';
import { INSTRUCTIONS, type McpServerDeps } from '../server.js';
import { modernCallContext } from './modern-call-context.js';

/**
 * The server of one 2026-07-28 request: the same tools and resources as a 2025-era server for this token, built by
 * the v2 SDK, which owns the modern protocol (the per-request envelope, server/discover, resultType, caching hints).
 */
export function createModernMcpServer(deps: McpServerDeps, identity: TokenIdentity): McpServer {
  const server = new McpServer({ name: SERVICE_NAME, version: VERSION }, { instructions: INSTRUCTIONS, capabilities: { resources: { subscribe: true, listChanged: true } } });
  const toolDeps = { ...deps, caller: identity.name };
  registerFleetTools(server, { deps: toolDeps, scopes: identity.scopes, callContext: modernCallContext });
  // Both SDKs' McpServer take the same registerResource calls.
  if (grants(identity.scopes, 'read')) registerAgentResources(server as unknown as LegacyMcpServer, toolDeps);
  return server;
}
