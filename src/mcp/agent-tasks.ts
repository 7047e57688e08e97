import type { ServerOptions } from '@modelcontextprotocol/sdk/server/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CancelTaskRequestSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { TokenIdentity } from '../auth/identity.js';
import { grants } from '../auth/scopes.js';
import type { TaskRegistry } from './task-registry.js';
import { toolScope } from './tool-scopes.js';

/** The tools that may run as MCP tasks: tools/list marks them `execution: {taskSupport: 'optional'}`. */
export const TASK_TOOLS: ReadonlySet<string> = new Set(['wait_for_agent']);

/** Cancelling a task stops what it started (for wait_for_agent, the agent's task), as cancel_agent_task does. */
export const CANCEL_TASK_SCOPE = toolScope('cancel_agent_task');

export function mayCancelTasks(identity: TokenIdentity): boolean {
  return grants(identity.scopes, CANCEL_TASK_SCOPE);
}

/**
 * What an MCP server answering for `identity` needs for MCP tasks (2025-11-25): the tasks capability (tools/call
 * may be task-augmented; tasks/cancel only for a token that may cancel) and a task store holding that token's tasks
 * only, looked up in the process-wide registry on every use.
 */
export function taskServerOptions(tasks: TaskRegistry, identity: TokenIdentity): Pick<ServerOptions, 'capabilities' | 'taskStore'> {
  return {
    capabilities: { tasks: { list: {}, ...(mayCancelTasks(identity) ? { cancel: {} } : {}), requests: { tools: { call: {} } } } },
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
