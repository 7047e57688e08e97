import { McpServer } from '@modelcontextprotocol/server';
import type { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TokenIdentity } from '../../auth/identity.js';
import { grants } from '../../auth/scopes.js';
import { SERVICE_NAME, VERSION } from '../../version.js';
import { registerAgentResources } from '../agent-resources.js';
import { INSTRUCTIONS, TOOLS, type McpServerDeps } from '../server.js';
import { toolScope } from '../tool-scopes.js';
import { registerModernTasks, TASKS_CAPABILITY } from './modern-tasks.js';
import { registerModernWait } from './modern-wait.js';

/**
 * The server of one 2026-07-28 request: the same tools and resources as a 2025-era server for this token, built by
 * the v2 SDK, which owns the modern protocol (the per-request envelope, server/discover, resultType, caching hints).
 * A server made for a tools/call of `onlyTool` has that tool alone: building the other tools was a tenth of a call's
 * cost in the bench, and the call could not reach them anyway.
 */
export function createModernMcpServer(deps: McpServerDeps, identity: TokenIdentity, onlyTool?: string): McpServer {
  const server = new McpServer({ name: SERVICE_NAME, version: VERSION }, { instructions: INSTRUCTIONS, capabilities: { resources: { subscribe: true, listChanged: true }, ...TASKS_CAPABILITY } });
  // Both SDKs' McpServer take the same registerTool/registerResource calls.
  const host = server as unknown as LegacyMcpServer;
  const toolDeps = { ...deps, caller: identity.name };
  for (const [name, register] of TOOLS) {
    if (!grants(identity.scopes, toolScope(name)) || (onlyTool !== undefined && name !== onlyTool)) continue;
    if (name === 'wait_for_agent') registerModernWait(server, toolDeps);
    else register(host, toolDeps);
  }
  if (onlyTool === undefined && grants(identity.scopes, 'read')) registerAgentResources(host, toolDeps);
  registerModernTasks(server, deps.tasks, identity);
  return server;
}
