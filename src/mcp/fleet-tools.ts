import type * as z from 'zod';
import { grants, type Scope } from '../auth/scopes.js';
import { FLEET_APP_TOOL_META } from './app/app-link.js';
import { callTool } from './call-tool.js';
import type { CallContext, FleetTool, FleetToolDeps, Question, ToolAnnotations } from './fleet-tool.js';
import type { ToolErrorResult, ToolResult } from './tool-result.js';
import { cancelAgentTask } from './tools/cancel-agent-task.js';
import { cleanupFleetBranches } from './tools/cleanup-fleet-branches.js';
import { createAgent } from './tools/create-agent.js';
import { deleteAgent } from './tools/delete-agent.js';
import { listAgentProjects } from './tools/list-agent-projects.js';
import { listAgentRoles } from './tools/list-agent-roles.js';
import { listAgents } from './tools/list-agents.js';
import { mergeAgent } from './tools/merge-agent.js';
import { restartAgent } from './tools/restart-agent.js';
import { showAgent } from './tools/show-agent.js';
import { showAgentChanges } from './tools/show-agent-changes.js';
import { showAgentLog } from './tools/show-agent-log.js';
import { showAgentTaskHistory } from './tools/show-agent-task-history.js';
import { startAgentTask } from './tools/start-agent-task.js';
import { waitForAgent } from './tools/wait-for-agent.js';

// Each declaration's argument and result types differ; the table only needs what they share.
export type AnyFleetTool = FleetTool;

/** Every tool of the server, in the order tools/list shows them: the one list of tool names. */
export const FLEET_TOOLS: readonly AnyFleetTool[] = [
  listAgentProjects,
  listAgentRoles,
  createAgent,
  listAgents,
  showAgent,
  startAgentTask,
  cancelAgentTask,
  restartAgent,
  deleteAgent,
  showAgentTaskHistory,
  showAgentLog,
  waitForAgent,
  showAgentChanges,
  mergeAgent,
  cleanupFleetBranches,
];

const BY_NAME: ReadonlyMap<string, AnyFleetTool> = new Map(FLEET_TOOLS.map((tool) => [tool.name, tool]));

/** The scope a tool needs; an unknown name needs admin, so no name is ever open to a weaker token by accident. */
export function toolScope(name: string): Scope {
  return BY_NAME.get(name)?.scope ?? 'admin';
}

/** The tools that may run as MCP tasks. */
export const TASK_TOOL_NAMES: readonly string[] = FLEET_TOOLS.filter((tool) => tool.task !== undefined).map(
  (tool) => tool.name,
);

/** What an SDK's registerTool takes as a tool's config, in the shape both SDK generations share. */
export interface ToolConfig {
  title: string;
  description: string;
  inputSchema: z.ZodObject;
  outputSchema: z.ZodObject;
  annotations: ToolAnnotations;
  _meta?: Readonly<Record<string, unknown>>;
}

/** The one method of an MCP server the tools are registered through: v1's and v2's McpServer both have it. */
export interface ToolHost<Extra> {
  registerTool(
    name: string,
    config: ToolConfig,
    handler: (args: Record<string, unknown>, extra: Extra) => Promise<ToolResult | ToolErrorResult>,
  ): unknown;
}

export interface RegisterFleetToolsOptions<Extra> {
  deps: FleetToolDeps;
  /** The caller's token's scopes: a tool it may not call is not registered, so tools/list does not show it. */
  scopes: readonly Scope[];
  /** Turns the SDK's per-call object into what a handler needs. */
  callContext(extra: Extra): CallContext;
  /** Registers a tool that may run as an MCP task, where the SDK serves tasks; without it, it is a plain tool. */
  registerTaskTool?(tool: AnyFleetTool, config: ToolConfig): void;
  /** Where a client can ask its user: the result that puts a tool's question to them. */
  askUser?(question: Question): unknown;
}

function toolConfig(tool: AnyFleetTool): ToolConfig {
  return {
    title: tool.title,
    description: tool.description,
    inputSchema: tool.input,
    outputSchema: tool.output,
    annotations: tool.annotations,
    ...(tool.showsApp ? { _meta: FLEET_APP_TOOL_META } : {}),
  };
}

/** Registers on `server` each tool the caller's scopes allow. */
export function registerFleetTools<Extra>(server: ToolHost<Extra>, options: RegisterFleetToolsOptions<Extra>): void {
  for (const tool of FLEET_TOOLS) {
    if (!grants(options.scopes, tool.scope)) continue;
    if (tool.task && options.registerTaskTool) {
      options.registerTaskTool(tool, toolConfig(tool));
      continue;
    }
    server.registerTool(tool.name, toolConfig(tool), (args, extra) =>
      callTool(tool, args, options.deps, options.callContext(extra), options.askUser),
    );
  }
}
