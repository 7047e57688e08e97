import type { CreateTaskRequestHandlerExtra } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { FleetError } from '../../fleet/errors.js';
import type { AgentDetails, Fleet, WaitResult } from '../../fleet/fleet.js';
import { AGENT_FIELDS, agentNameArg, TASK_OUTCOME_HELP, type FleetToolDeps } from '../fleet-tool.js';
import type { TaskRegistry, TaskWork } from '../task-registry.js';
import { jsonResult } from '../tool-result.js';

/** Without progress notifications a client cannot be told the call is alive, so the wait stays this short. */
const MAX_PLAIN_WAIT_SECONDS = 600;
/** With them, a client that resets its timeout on progress may wait as long as a task may run. */
const MAX_PROGRESS_WAIT_SECONDS = 86_400;
// Below the MCP SDK client's default request timeout of 60 s, so a plain client never gives up first.
const DEFAULT_WAIT_SECONDS = 50;
/** How often a waiting call that asked for progress is told how the agent is doing. */
export const PROGRESS_EVERY_MS = 5_000;

export const waitInputSchema = z.object({
  agent_name: agentNameArg,
  timeout_seconds: z
    .number()
    .min(0)
    .max(MAX_PROGRESS_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .describe(
      `How long to wait at most; default ${DEFAULT_WAIT_SECONDS}. Up to ${MAX_PLAIN_WAIT_SECONDS} s, or up to ` +
        `${MAX_PROGRESS_WAIT_SECONDS} s when the call sends a progress token (progress every ${PROGRESS_EVERY_MS / 1000} s) ` +
        'or runs as an MCP task.',
    ),
});

interface ProgressSink {
  report(elapsedMs: number, totalMs: number, message: string): Promise<void>;
}

/** The agent's state and its newest log line, in one line a person or a lead agent can read. */
function progressMessage(fleet: Fleet, name: string): string {
  const agent = fleet.showAgent(name);
  const newest = fleet.agentLog(name, { page: 1, pageSize: 1 }).items[0];
  return `${agent.name} is ${agent.status}${newest ? `: ${newest.text.slice(0, 300)}` : ''}`;
}

/**
 * Waits in slices, reporting progress between them when there is a sink to report to, until the agent settles, the
 * time is up or the caller gives up.
 */
async function waitWithProgress(fleet: Fleet, name: string, totalMs: number, sink: ProgressSink | undefined, signal: AbortSignal): Promise<WaitResult> {
  const started = Date.now();
  for (;;) {
    const left = totalMs - (Date.now() - started);
    const result = await fleet.waitForAgent(name, Math.max(0, Math.min(left, PROGRESS_EVERY_MS)));
    if (!result.timed_out || left <= PROGRESS_EVERY_MS || signal.aborted) return result;
    // A task has no sink: tasks/get builds the message when asked, so none is built every few seconds for nobody.
    if (sink) await sink.report(Date.now() - started, totalMs, progressMessage(fleet, name));
  }
}

function summary(agent: AgentDetails, timedOut: boolean, waitedSeconds: number, note: string): string {
  const state = timedOut
    ? `Agent "${agent.name}" is still ${agent.status} after ${waitedSeconds} s.`
    : `Agent "${agent.name}" is ${agent.status}${agent.last_task ? `; its last task ${agent.last_task.status}` : ''}.`;
  return `${state}${note}`;
}

/** How long an ended wait task's result is kept after the longest its wait may take, unless the client asks otherwise. */
export const TASK_RESULT_KEEP_MS = 60 * 60 * 1000;

export interface WaitForAgentDeps extends FleetToolDeps {
  tasks: TaskRegistry;
}

export type WaitArgs = z.infer<typeof waitInputSchema>;

/** What a plain call of the tool needs from either SDK's request context. */
export interface WaitCallContext {
  progressToken: string | number | undefined;
  notify: (notification: { method: 'notifications/progress'; params: { progressToken: string | number; progress: number; total: number; message: string } }) => Promise<void>;
  signal: AbortSignal;
}

/** The plain call, as before tasks: a bounded wait, longer with progress notifications when a progress token is sent. */
export async function waitInCall(fleet: Fleet, { agent_name, timeout_seconds }: WaitArgs, extra: WaitCallContext): Promise<CallToolResult> {
  const progressToken = extra.progressToken;
  const capped = progressToken === undefined && timeout_seconds > MAX_PLAIN_WAIT_SECONDS;
  const seconds = capped ? MAX_PLAIN_WAIT_SECONDS : timeout_seconds;
  const note = capped ? ` The wait was cut to ${MAX_PLAIN_WAIT_SECONDS} s: longer waits need a progress token.` : '';
  const { agent, timed_out } =
    progressToken === undefined
      ? await fleet.waitForAgent(agent_name, seconds * 1000)
      : await waitWithProgress(fleet, agent_name, seconds * 1000, progressSink(extra, progressToken), extra.signal);
  return jsonResult({ timed_out, message: summary(agent, timed_out, seconds, note), agent });
}

function progressSink(extra: WaitCallContext, progressToken: string | number): ProgressSink {
  return {
    report: (elapsedMs, totalMs, message) =>
      extra.notify({
        method: 'notifications/progress',
        params: { progressToken, progress: Math.round(elapsedMs / 1000), total: Math.round(totalMs / 1000), message },
      }),
  };
}

/** The wait as an MCP task: no client timeout to stay under, tasks/get shows the agent's state, tasks/cancel stops its task. */
export function waitAsTask(fleet: Fleet, { agent_name, timeout_seconds }: WaitArgs): TaskWork {
  return {
    run: async (signal) => {
      const { agent, timed_out } = await waitWithProgress(fleet, agent_name, timeout_seconds * 1000, undefined, signal);
      const message = summary(agent, timed_out, timeout_seconds, '');
      return { result: jsonResult({ timed_out, message, agent }), message };
    },
    describe: () => progressMessage(fleet, agent_name),
    cancel: async () => {
      let message: string;
      try {
        await fleet.cancelTask(agent_name);
        message = `The wait was cancelled, and with it the agent's task.`;
      } catch (error) {
        if (!(error instanceof FleetError)) throw error;
        message = `The wait was cancelled; the agent had no task to cancel: ${error.message}`;
      }
      const agent = fleet.showAgent(agent_name);
      return { result: jsonResult({ timed_out: false, message: `${summary(agent, false, 0, '')} ${message}`, agent }), message };
    },
  };
}

/** The wait tool as both eras show it; the 2025 era adds MCP task support (2025-11-25). */
export const WAIT_TOOL = {
  title: 'Wait for agent',
  description:
    'Waits until the agent is no longer starting, pending (queued) or busy (its task completed, failed or was ' +
    'canceled), or until timeout_seconds pass, and answers then, so there is no need to poll show_agent. Returns ' +
    `{"timed_out","message","agent":${AGENT_FIELDS}}. ${TASK_OUTCOME_HELP} On timed_out: true the agent is still ` +
    `at work; call again to keep waiting. Send a progress token to get its state and newest log line every ` +
    `${PROGRESS_EVERY_MS / 1000} s and to wait longer than ${MAX_PLAIN_WAIT_SECONDS} s; otherwise keep ` +
    "timeout_seconds below your client's tool-call timeout. Clients with MCP tasks may call it as a task instead: " +
    'it answers at once, tasks/get shows the agent\'s state, tasks/result the answer, tasks/cancel cancels the agent\'s task.',
  annotations: { readOnlyHint: true, openWorldHint: false },
};

export function registerWaitForAgent(server: McpServer, deps: WaitForAgentDeps): void {
  server.experimental.tasks.registerToolTask(
    'wait_for_agent',
    {
      ...WAIT_TOOL,
      inputSchema: waitInputSchema,
      execution: { taskSupport: 'optional' },
    },
    {
      createTask: async (input, extra) => {
        // The SDK has checked the arguments against inputSchema; its task tool type just does not carry their type.
        const args = input as WaitArgs;
        const ttl = extra.taskRequestedTtl ?? args.timeout_seconds * 1000 + TASK_RESULT_KEEP_MS;
        const { taskId } = await extra.taskStore.createTask({ ttl });
        if (!deps.tasks.isInline(deps.caller, taskId)) return { task: deps.tasks.start(deps.caller, taskId, waitAsTask(deps.fleet, args)) };
        // A call that asked for no task: the SDK answers it by polling this task, so it is done before it is returned.
        try {
          const context = { progressToken: extra._meta?.progressToken, notify: extra.sendNotification, signal: extra.signal };
          return { task: deps.tasks.settleInline(deps.caller, taskId, await waitInCall(deps.fleet, args, context)) };
        } catch (error) {
          deps.tasks.dropInline(deps.caller, taskId);
          throw error;
        }
      },
      // Required by the SDK's task tool type, though this SDK answers tasks/get and tasks/result from the task store.
      getTask: async (_args, extra) => extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
    },
  );
}
