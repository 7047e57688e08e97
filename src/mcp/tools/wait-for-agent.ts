import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { AgentDetails, Fleet, WaitResult } from '../../fleet/fleet.js';
import { AGENT_FIELDS, agentNameArg, TASK_OUTCOME_HELP, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

/** Without progress notifications a client cannot be told the call is alive, so the wait stays this short. */
const MAX_PLAIN_WAIT_SECONDS = 600;
/** With them, a client that resets its timeout on progress may wait as long as a task may run. */
const MAX_PROGRESS_WAIT_SECONDS = 86_400;
// Below the MCP SDK client's default request timeout of 60 s, so a plain client never gives up first.
const DEFAULT_WAIT_SECONDS = 50;
/** How often a waiting call that asked for progress is told how the agent is doing. */
export const PROGRESS_EVERY_MS = 5_000;

const inputSchema = z.object({
  agent_name: agentNameArg,
  timeout_seconds: z
    .number()
    .min(0)
    .max(MAX_PROGRESS_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .describe(
      `How long to wait at most; default ${DEFAULT_WAIT_SECONDS}. Up to ${MAX_PLAIN_WAIT_SECONDS} s, or up to ` +
        `${MAX_PROGRESS_WAIT_SECONDS} s when the call sends a progress token (progress every ${PROGRESS_EVERY_MS / 1000} s).`,
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

/** Waits in slices, reporting progress between them, until the agent settles, the time is up or the caller gives up. */
async function waitWithProgress(fleet: Fleet, name: string, totalMs: number, sink: ProgressSink, signal: AbortSignal): Promise<WaitResult> {
  const started = Date.now();
  for (;;) {
    const left = totalMs - (Date.now() - started);
    const result = await fleet.waitForAgent(name, Math.max(0, Math.min(left, PROGRESS_EVERY_MS)));
    if (!result.timed_out || left <= PROGRESS_EVERY_MS || signal.aborted) return result;
    await sink.report(Date.now() - started, totalMs, progressMessage(fleet, name));
  }
}

function summary(agent: AgentDetails, timedOut: boolean, waitedSeconds: number, note: string): string {
  const state = timedOut
    ? `Agent "${agent.name}" is still ${agent.status} after ${waitedSeconds} s.`
    : `Agent "${agent.name}" is ${agent.status}${agent.last_task ? `; its last task ${agent.last_task.status}` : ''}.`;
  return `${state}${note}`;
}

export function registerWaitForAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'wait_for_agent',
    {
      title: 'Wait for agent',
      description:
        'Waits until the agent is no longer starting, pending (queued) or busy (its task completed, failed or was ' +
        'canceled), or until timeout_seconds pass, and answers then, so there is no need to poll show_agent. Returns ' +
        `{"timed_out","message","agent":${AGENT_FIELDS}}. ${TASK_OUTCOME_HELP} On timed_out: true the agent is still ` +
        `at work; call again to keep waiting. Send a progress token to get its state and newest log line every ` +
        `${PROGRESS_EVERY_MS / 1000} s and to wait longer than ${MAX_PLAIN_WAIT_SECONDS} s; otherwise keep ` +
        "timeout_seconds below your client's tool-call timeout.",
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ agent_name, timeout_seconds }, extra) => {
      const progressToken = extra._meta?.progressToken;
      const capped = progressToken === undefined && timeout_seconds > MAX_PLAIN_WAIT_SECONDS;
      const seconds = capped ? MAX_PLAIN_WAIT_SECONDS : timeout_seconds;
      const note = capped ? ` The wait was cut to ${MAX_PLAIN_WAIT_SECONDS} s: longer waits need a progress token.` : '';
      if (progressToken === undefined) {
        const { agent, timed_out } = await deps.fleet.waitForAgent(agent_name, seconds * 1000);
        return jsonResult({ timed_out, message: summary(agent, timed_out, seconds, note), agent });
      }
      const sink: ProgressSink = {
        report: (elapsedMs, totalMs, message) =>
          extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress: Math.round(elapsedMs / 1000), total: Math.round(totalMs / 1000), message },
          }),
      };
      const { agent, timed_out } = await waitWithProgress(deps.fleet, agent_name, seconds * 1000, sink, extra.signal);
      return jsonResult({ timed_out, message: summary(agent, timed_out, seconds, note), agent });
    },
  );
}
