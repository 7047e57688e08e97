import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServerEventBus } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../auth/identity.js';
import { grants } from '../auth/scopes.js';
import type { Fleet } from '../fleet/fleet.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { registerAgentResources } from './agent-resources.js';
import { registerTaskCancel, taskServerOptions } from './agent-tasks.js';
import { LazySchemaValidator } from './lazy-schema-validator.js';
import { registerCancelAgentTask } from './tools/cancel-agent-task.js';
import { registerCleanupFleetBranches } from './tools/cleanup-fleet-branches.js';
import { registerCreateAgent } from './tools/create-agent.js';
import { registerDeleteAgent } from './tools/delete-agent.js';
import { registerListAgentProjects } from './tools/list-agent-projects.js';
import { registerListAgentRoles } from './tools/list-agent-roles.js';
import { registerListAgents } from './tools/list-agents.js';
import { registerMergeAgent } from './tools/merge-agent.js';
import { registerRestartAgent } from './tools/restart-agent.js';
import { registerShowAgent } from './tools/show-agent.js';
import { registerShowAgentChanges } from './tools/show-agent-changes.js';
import { registerShowAgentLog } from './tools/show-agent-log.js';
import { registerShowAgentTaskHistory } from './tools/show-agent-task-history.js';
import { registerStartAgentTask } from './tools/start-agent-task.js';
import type { FleetToolDeps } from './fleet-tool.js';
import type { TaskRegistry } from './task-registry.js';
import { toolScope } from './tool-scopes.js';
import { registerWaitForAgent } from './tools/wait-for-agent.js';

export interface McpServerDeps {
  fleet: Fleet;
  /** The MCP tasks of every token, kept across requests. */
  tasks: TaskRegistry;
  /** What 2026-07-28 `subscriptions/listen` streams are told: agents' state and log changes, and list changes. */
  events: ServerEventBus;
}

export const INSTRUCTIONS =
  'Runs and steers a fleet of coding agents on this host. Each agent of a git project works on its own branch ' +
  'fleet/<name> in its own worktree. The loop: list_agent_projects and list_agent_roles, create_agent (starts its ' +
  'first task) → wait_for_agent (show_agent_log to follow it) → show_agent_changes (its commits, diffstat, diff and ' +
  'uncommitted files) → merge_agent into its base branch, or start_agent_task for more work → delete_agent (refused ' +
  'while work would be lost, unless force). What a task leaves uncommitted is committed on its branch when it ends. ' +
  'cleanup_fleet_branches removes branches of deleted agents once their work is merged.';

/**
 * Each server would otherwise build its own Ajv instance, which costs more than the rest of a stateless
 * request. The validator keeps no per-session state (the server only uses it to check elicitation answers),
 * so one instance serves every per-request server.
 */
const jsonSchemaValidator = new LazySchemaValidator();

/** Each tool by name, so its scope can be looked up before it is registered. */
export const TOOLS: ReadonlyArray<readonly [string, (server: McpServer, deps: McpServerDeps & FleetToolDeps) => void]> = [
  ['list_agent_projects', registerListAgentProjects],
  ['list_agent_roles', registerListAgentRoles],
  ['create_agent', registerCreateAgent],
  ['list_agents', registerListAgents],
  ['show_agent', registerShowAgent],
  ['start_agent_task', registerStartAgentTask],
  ['cancel_agent_task', registerCancelAgentTask],
  ['restart_agent', registerRestartAgent],
  ['delete_agent', registerDeleteAgent],
  ['show_agent_task_history', registerShowAgentTaskHistory],
  ['show_agent_log', registerShowAgentLog],
  ['wait_for_agent', registerWaitForAgent],
  ['show_agent_changes', registerShowAgentChanges],
  ['merge_agent', registerMergeAgent],
  ['cleanup_fleet_branches', registerCleanupFleetBranches],
];

/**
 * A server offering exactly the tools the caller's token may call (and, to any token with read, the agents' logs
 * and states as resources): tools/list shows no others, and a call to
 * another is an unknown tool even if it got past the HTTP-level scope check.
 */
export function createMcpServer(deps: McpServerDeps, identity: TokenIdentity): McpServer {
  const server = new McpServer(
    { name: SERVICE_NAME, version: VERSION },
    { instructions: INSTRUCTIONS, jsonSchemaValidator, ...taskServerOptions(deps.tasks, identity) },
  );
  registerTaskCancel(server, deps.tasks, identity);
  const toolDeps = { ...deps, caller: identity.name };
  for (const [name, register] of TOOLS) {
    if (grants(identity.scopes, toolScope(name))) register(server, toolDeps);
  }
  if (grants(identity.scopes, 'read')) registerAgentResources(server, toolDeps);
  return server;
}
