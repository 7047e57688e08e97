import { McpServer, type ServerContext } from '@modelcontextprotocol/server';
import type { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TokenIdentity } from '../../auth/identity.js';
import { grants } from '../../auth/scopes.js';
import { SERVICE_NAME, VERSION } from '../../version.js';
import { registerAgentResources } from '../agent-resources.js';
import { registerFleetApp } from '../app/fleet-app-resource.js';
import type { CallContext, FleetToolDeps } from '../fleet-tool.js';
import { callTool, taskPlan } from '../call-tool.js';
import {
  registerFleetTools,
  type AnyFleetTool,
  type RegisterFleetToolsOptions,
  type ToolConfig,
} from '../fleet-tools.js';
import { INSTRUCTIONS, type McpServerDeps } from '../server.js';
import type { TaskRegistry } from '../task-registry.js';
import { askToConfirm } from './confirm.js';
import { modernCallContext } from './modern-call-context.js';
import { clientTakesTasks, modernTask, registerModernTasks, TASKS_CAPABILITY } from './modern-tasks.js';

/**
 * A 2026-07-28 server for one token: the same tools and resources as a 2025-era server for it, built by the v2 SDK,
 * which owns the modern protocol (the per-request envelope, server/discover, resultType, caching hints,
 * input_required). It serves one exchange at a time, any number in turn.
 */
export function createModernMcpServer(deps: McpServerDeps, identity: TokenIdentity): McpServer {
  // A token's tools never change while the server runs (its scopes are fixed, a reload changes no tool): a listen
  // stream asking for tool list changes is told it gets none, rather than the SDK's default promise of some.
  const capabilities = {
    tools: { listChanged: false },
    resources: { subscribe: true, listChanged: true },
    ...TASKS_CAPABILITY,
  };
  const server = new McpServer({ name: SERVICE_NAME, version: VERSION }, { instructions: INSTRUCTIONS, capabilities });
  const toolDeps = { ...deps, caller: identity.name };
  // Answering an agent's question steers it, as a task does.
  const callContext = (ctx: ServerContext) => modernCallContext(ctx, grants(identity.scopes, 'run'));
  const options: RegisterFleetToolsOptions<ServerContext> = {
    deps: toolDeps,
    scopes: identity.scopes,
    callContext,
    askUser: askToConfirm,
    registerTaskTool: (tool, config) => registerModernTaskTool(server, tool, config, { toolDeps, callContext }),
  };
  registerFleetTools(server, options);
  // Both SDKs' McpServer take the same registerResource calls.
  if (grants(identity.scopes, 'read')) {
    registerAgentResources(server as unknown as LegacyMcpServer, toolDeps);
    registerFleetApp(server as unknown as LegacyMcpServer, identity.scopes);
  }
  registerModernTasks(server, deps.tasks, identity);
  return server;
}

/**
 * A tool that may run as a task: a client that declared the tasks extension in its request gets a task handle at
 * once (tasks/get, tasks/cancel follow it); any other gets the plain call. It is registered without its output
 * schema: the SDK checks every result but an input_required one against it, and a task handle has no structured
 * content. Its plain answers and its task's result still carry their structured content.
 */
function registerModernTaskTool(
  server: McpServer,
  tool: AnyFleetTool,
  config: ToolConfig,
  {
    toolDeps: deps,
    callContext,
  }: { toolDeps: FleetToolDeps & { tasks: TaskRegistry }; callContext: (ctx: ServerContext) => CallContext },
): void {
  const { outputSchema: _checkedOnEveryResult, ...plain } = config;
  server.registerTool(tool.name, plain, async (args: Record<string, unknown>, ctx: ServerContext) => {
    const call = callContext(ctx);
    if (!clientTakesTasks(ctx.mcpReq.envelope as Record<string, unknown> | undefined))
      return callTool(tool, args, deps, call, askToConfirm);
    // The task asks its client's user only where this request could have been asked (tasks/update answers).
    const plan = taskPlan(tool, args, deps, call.reply !== undefined);
    const task = deps.tasks.create(deps.caller, plan.ttlMs);
    return {
      resultType: 'task',
      ...modernTask({ task: deps.tasks.start(deps.caller, task.taskId, plan.work) }),
    } as never;
  });
}
