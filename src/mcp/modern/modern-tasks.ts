import {
  CLIENT_CAPABILITIES_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { TokenIdentity } from '../../auth/identity.js';
import { FleetError } from '../../fleet/errors.js';
import { mayCancelTasks, CANCEL_TASK_SCOPE } from '../agent-tasks.js';
import type { TaskRegistry, TaskView } from '../task-registry.js';
import { askToConfirm, reply } from './confirm.js';

const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** What the server declares in server/discover: it may answer a tools/call with a task handle. */
export const TASKS_CAPABILITY = { extensions: { [TASKS_EXTENSION]: {} } };

const taskIdParams = z.object({ taskId: z.string().min(1).max(200) });

/** Whether the request's client said, in the capabilities of its envelope, that it takes task handles. */
export function clientTakesTasks(meta: Record<string, unknown> | undefined): boolean {
  const capabilities = meta?.[CLIENT_CAPABILITIES_META_KEY] as { extensions?: Record<string, unknown> } | undefined;
  const extension = capabilities?.extensions?.[TASKS_EXTENSION];
  return typeof extension === 'object' && extension !== null;
}

/**
 * A task as the 2026-07-28 extension shows it: its state, the question it waits on while input_required, and once
 * ended its result or why it failed.
 */
export function modernTask({ task, result, asking }: TaskView): Record<string, unknown> {
  const base = {
    taskId: task.taskId,
    status: task.status,
    ...(task.statusMessage === undefined ? {} : { statusMessage: task.statusMessage }),
    createdAt: task.createdAt,
    lastUpdatedAt: task.lastUpdatedAt,
    ttlMs: task.ttl ?? null,
    ...(task.pollInterval === undefined ? {} : { pollIntervalMs: task.pollInterval }),
  };
  if (task.status === 'input_required' && asking) return { ...base, inputRequests: askToConfirm(asking).inputRequests };
  // The result is the tools/call result the call would have had, discriminator included.
  if (task.status === 'completed' && result) return { ...base, result: { ...result, resultType: 'complete' } };
  if (task.status === 'failed')
    return {
      ...base,
      error: { code: ProtocolErrorCode.InternalError, message: task.statusMessage ?? 'The task failed.' },
    };
  return base;
}

/** The tasks methods are the extension's: a client that did not declare it in its request gets the spec's -32021. */
function assertClientTakesTasks(ctx: ServerContext): void {
  if (clientTakesTasks(ctx.mcpReq.envelope as Record<string, unknown> | undefined)) return;
  throw new MissingRequiredClientCapabilityError(
    { requiredCapabilities: TASKS_CAPABILITY },
    `Declare the ${TASKS_EXTENSION} extension in the request's client capabilities to use the tasks methods.`,
  );
}

function notFound(taskId: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Task not found: ${taskId} (it expired, or was never made with this token)`,
  );
}

/**
 * tasks/get, tasks/update and tasks/cancel of the tasks extension, over the same per-token task registry as the 2025
 * era's tasks: a token sees and cancels its own tasks only.
 */
export function registerModernTasks(server: McpServer, tasks: TaskRegistry, identity: TokenIdentity): void {
  server.server.setRequestHandler('tasks/get', { params: taskIdParams }, async ({ taskId }, ctx) => {
    assertClientTakesTasks(ctx);
    const found = await tasks.view(identity.name, taskId);
    if (!found) throw notFound(taskId);
    return modernTask(found);
  });
  server.server.setRequestHandler('tasks/update', { params: taskIdParams.loose() }, async ({ taskId }, ctx) => {
    assertClientTakesTasks(ctx);
    // The SDK takes inputResponses out of the params as it does for any request. The task takes the replies to
    // what it asks now; the spec has a server ignore responses to keys that are not outstanding.
    let found: boolean;
    try {
      found = await tasks.answer(identity.name, taskId, (key) => reply(ctx, key));
    } catch (error) {
      // An answer the agent's question cannot take (no option chosen, the agent gone): the update is refused with why.
      if (error instanceof FleetError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
      throw error;
    }
    if (!found) throw notFound(taskId);
    return {};
  });
  server.server.setRequestHandler('tasks/cancel', { params: taskIdParams }, async ({ taskId }, ctx) => {
    assertClientTakesTasks(ctx);
    if (!mayCancelTasks(identity)) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `tasks/cancel needs the "${CANCEL_TASK_SCOPE}" scope (it stops the agent's task); token "${identity.name}" has ${identity.scopes.join(', ')}.`,
      );
    }
    await tasks.cancel(identity.name, taskId);
    return {};
  });
}
