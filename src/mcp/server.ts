import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Project } from '../fleet/projects.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { registerListAgentProjects } from './tools/list-agent-projects.js';

export interface McpServerDeps {
  projects: readonly Project[];
}

/**
 * Each server would otherwise build its own Ajv instance, which costs more than the rest of a stateless
 * request. The validator keeps no per-session state (the server only uses it to check elicitation answers),
 * so one instance serves every per-request server.
 */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: SERVICE_NAME, version: VERSION },
    { instructions: 'Runs and steers a fleet of coding agents on this host. Start with list_agent_projects.', jsonSchemaValidator },
  );
  registerListAgentProjects(server, deps);
  return server;
}
