import type { McpServer } from '@modelcontextprotocol/server';
import type { Fleet } from '../../fleet/fleet.js';
import type { TaskRegistry } from '../task-registry.js';
import { TASK_RESULT_KEEP_MS, WAIT_TOOL, waitAsTask, waitInCall, waitInputSchema } from '../tools/wait-for-agent.js';
import { clientTakesTasks, modernTask } from './modern-tasks.js';

export interface ModernWaitDeps {
  fleet: Fleet;
  tasks: TaskRegistry;
  /** The token the request presented: its tasks are its own. */
  caller: string;
}

/**
 * wait_for_agent on a 2026-07-28 request. A client that takes task handles gets one at once (tasks/get shows the
 * agent's state, then the answer; tasks/cancel cancels the agent's task); any other gets the plain call.
 */
export function registerModernWait(server: McpServer, deps: ModernWaitDeps): void {
  server.registerTool('wait_for_agent', { ...WAIT_TOOL, inputSchema: waitInputSchema }, async (args, ctx) => {
    if (clientTakesTasks(ctx.mcpReq.envelope as Record<string, unknown> | undefined)) {
      const task = deps.tasks.create(deps.caller, args.timeout_seconds * 1000 + TASK_RESULT_KEEP_MS);
      const started = deps.tasks.start(deps.caller, task.taskId, waitAsTask(deps.fleet, args));
      return { resultType: 'task', ...modernTask(started) } as never;
    }
    return waitInCall(deps.fleet, args, {
      progressToken: ctx.mcpReq._meta?.progressToken,
      notify: (notification) => ctx.mcpReq.notify(notification),
      signal: ctx.mcpReq.signal,
    });
  });
}
