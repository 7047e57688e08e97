import type { ServerOptions } from '@modelcontextprotocol/sdk/server/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type {
  CreateTaskRequestHandlerExtra,
  TaskRequestHandlerExtra,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import { CancelTaskRequestSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { TokenIdentity } from '../auth/identity.js';
import { grants } from '../auth/scopes.js';
import type { FleetToolDeps } from './fleet-tool.js';
import { callTool, taskPlan } from './call-tool.js';
import type { AnyFleetTool, ToolConfig } from './fleet-tools.js';
import type { TaskRegistry } from './task-registry.js';
import { cancelAgentTask } from './tools/cancel-agent-task.js';
import { v1CallContext } from './v1-call-context.js';

/** Cancelling a task stops what it started (for wait_for_agent, the agent's task), as cancel_agent_task does. */
export const CANCEL_TASK_SCOPE = cancelAgentTask.scope;

export function mayCancelTasks(identity: TokenIdentity): boolean {
  return grants(identity.scopes, CANCEL_TASK_SCOPE);
}

/**
 * What an MCP server answering for `identity` needs for MCP tasks (2025-11-25): the tasks capability (tools/call
 * may be task-augmented; tasks/cancel only for a token that may cancel) and a task store holding that token's tasks
 * only, looked up in the process-wide registry on every use.
 */
export function taskServerOptions(
  tasks: TaskRegistry,
  identity: TokenIdentity,
): Pick<ServerOptions, 'capabilities' | 'taskStore'> {
  return {
    capabilities: {
      tasks: { list: {}, ...(mayCancelTasks(identity) ? { cancel: {} } : {}), requests: { tools: { call: {} } } },
    },
    taskStore: tasks.storeFor(identity.name),
  };
}

/**
 * Replaces the SDK's tasks/cancel, which would only mark the task cancelled: this one stops the task's work and
 * refuses a token without the scope to cancel agent tasks.
 */
export function registerTaskCancel(server: McpServer, tasks: TaskRegistry, identity: TokenIdentity): void {
  server.server.setRequestHandler(CancelTaskRequestSchema, async (request) => {
    if (!mayCancelTasks(identity)) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `tasks/cancel needs the "${CANCEL_TASK_SCOPE}" scope (it stops the agent's task); token "${identity.name}" has ${identity.scopes.join(', ')}.`,
      );
    }
    return tasks.cancel(identity.name, request.params.taskId);
  });
}

export interface TaskToolDeps extends FleetToolDeps {
  tasks: TaskRegistry;
}

/**
 * Registers a tool that may run as an MCP task with the v1 SDK's task support. A call that asks for no task is
 * answered by the tool's plain handler; one that does gets a task at once, whose work runs on in the registry.
 */
export function registerTaskTool(server: McpServer, tool: AnyFleetTool, config: ToolConfig, deps: TaskToolDeps): void {
  server.experimental.tasks.registerToolTask(
    tool.name,
    { ...config, execution: { taskSupport: 'optional' } },
    {
      createTask: async (input: unknown, extra: CreateTaskRequestHandlerExtra) => {
        // The SDK has checked the arguments against the tool's input schema; its task tool type does not carry theirs.
        const args = input as Record<string, unknown>;
        const { work, ttlMs } = taskPlan(tool, args, deps);
        const { taskId } = await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl ?? ttlMs });
        if (!deps.tasks.isInline(deps.caller, taskId)) return { task: deps.tasks.start(deps.caller, taskId, work) };
        // A call that asked for no task: the SDK answers it by polling this task, so it is done before it is returned.
        try {
          return {
            task: deps.tasks.settleInline(deps.caller, taskId, await callTool(tool, args, deps, v1CallContext(extra))),
          };
        } catch (error) {
          deps.tasks.dropInline(deps.caller, taskId);
          throw error;
        }
      },
      // Required by the SDK's task tool type, though this SDK answers tasks/get and tasks/result from the task store.
      getTask: async (_args: unknown, extra: TaskRequestHandlerExtra) => extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (_args: unknown, extra: TaskRequestHandlerExtra) =>
        (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
    },
  );
}
