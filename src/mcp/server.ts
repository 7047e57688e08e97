import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Project } from '../fleet/projects.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { registerListAgentProjects } from './tools/list-agent-projects.js';

export interface McpServerDeps {
  projects: readonly Project[];
}

export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: SERVICE_NAME, version: VERSION },
    { instructions: 'Runs and steers a fleet of coding agents on this host. Start with list_agent_projects.' },
  );
  registerListAgentProjects(server, deps);
  return server;
}
