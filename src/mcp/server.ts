import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServerEventBus } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../auth/identity.js';
import { grants } from '../auth/scopes.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Logger } from '../log.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { registerAgentResources } from './agent-resources.js';
import { registerFleetApp } from './app/fleet-app-resource.js';
import { registerTaskCancel, registerTaskTool, taskServerOptions } from './agent-tasks.js';
import { registerFleetTools } from './fleet-tools.js';
import { LazySchemaValidator } from './lazy-schema-validator.js';
import type { TaskRegistry } from './task-registry.js';
import { v1CallContext } from './v1-call-context.js';

export interface McpServerDeps {
  fleet: Fleet;
  /** The MCP tasks of every token, kept across requests. */
  tasks: TaskRegistry;
  /** What 2026-07-28 `subscriptions/listen` streams are told: agents' state and log changes, and list changes. */
  events: ServerEventBus;
  /** Where a tool call's unexpected error is logged. */
  logger: Logger;
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
  registerFleetTools(server, {
    deps: toolDeps,
    scopes: identity.scopes,
    callContext: v1CallContext,
    registerTaskTool: (tool, config) => registerTaskTool(server, tool, config, toolDeps),
  });
  // A token's tools never change while the server runs: registering them made the SDK promise list changes that
  // would never come, and a client may keep listening for them.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  if (grants(identity.scopes, 'read')) {
    registerAgentResources(server, toolDeps);
    registerFleetApp(server, identity.scopes);
  }
  return server;
}
