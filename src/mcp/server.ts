import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Fleet } from '../fleet/fleet.js';
import type { Project } from '../fleet/projects.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { registerCancelAgentTask } from './tools/cancel-agent-task.js';
import { registerCreateAgent } from './tools/create-agent.js';
import { registerDeleteAgent } from './tools/delete-agent.js';
import { registerListAgentProjects } from './tools/list-agent-projects.js';
import { registerListAgentRoles } from './tools/list-agent-roles.js';
import { registerListAgents } from './tools/list-agents.js';
import { registerRestartAgent } from './tools/restart-agent.js';
import { registerShowAgent } from './tools/show-agent.js';
import { registerShowAgentLog } from './tools/show-agent-log.js';
import { registerShowAgentTaskHistory } from './tools/show-agent-task-history.js';
import { registerStartAgentTask } from './tools/start-agent-task.js';
import { registerWaitForAgent } from './tools/wait-for-agent.js';

export interface McpServerDeps {
  projects: readonly Project[];
  fleet: Fleet;
}

const INSTRUCTIONS =
  'Runs and steers a fleet of coding agents on this host. Typical flow: list_agent_projects, list_agent_roles, ' +
  'create_agent (starts its first task), wait_for_agent, show_agent_log, then start_agent_task for more work. ' +
  'Each agent of a git project works on its own branch fleet/<name> in its own worktree.';

/**
 * Each server would otherwise build its own Ajv instance, which costs more than the rest of a stateless
 * request. The validator keeps no per-session state (the server only uses it to check elicitation answers),
 * so one instance serves every per-request server.
 */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer({ name: SERVICE_NAME, version: VERSION }, { instructions: INSTRUCTIONS, jsonSchemaValidator });
  registerListAgentProjects(server, deps);
  registerListAgentRoles(server, deps);
  registerCreateAgent(server, deps);
  registerListAgents(server, deps);
  registerShowAgent(server, deps);
  registerStartAgentTask(server, deps);
  registerCancelAgentTask(server, deps);
  registerRestartAgent(server, deps);
  registerDeleteAgent(server, deps);
  registerShowAgentTaskHistory(server, deps);
  registerShowAgentLog(server, deps);
  registerWaitForAgent(server, deps);
  return server;
}
