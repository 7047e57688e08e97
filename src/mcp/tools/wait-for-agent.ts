import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AGENT_FIELDS, agentNameArg, TASK_OUTCOME_HELP, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const MAX_WAIT_SECONDS = 600;
// Below the MCP SDK client's default request timeout of 60 s, so a plain client never gives up first.
const DEFAULT_WAIT_SECONDS = 50;

const inputSchema = z.object({
  agent_name: agentNameArg,
  timeout_seconds: z
    .number()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .describe(`How long to wait at most, 0-${MAX_WAIT_SECONDS} seconds; default ${DEFAULT_WAIT_SECONDS}.`),
});

export function registerWaitForAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'wait_for_agent',
    {
      title: 'Wait for agent',
      description:
        'Waits until the agent is no longer starting, pending (queued) or busy (its task completed, failed or was ' +
        'canceled), or until timeout_seconds pass, and answers then, so there is no need to poll show_agent. Returns ' +
        `{"timed_out","message","agent":${AGENT_FIELDS}}. ${TASK_OUTCOME_HELP} On timed_out: true the agent is still ` +
        "at work; call again to keep waiting. Keep timeout_seconds below your client's tool-call timeout.",
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ agent_name, timeout_seconds }) => {
      const { agent, timed_out } = await deps.fleet.waitForAgent(agent_name, timeout_seconds * 1000);
      const message = timed_out
        ? `Agent "${agent.name}" is still ${agent.status} after ${timeout_seconds} s.`
        : `Agent "${agent.name}" is ${agent.status}${agent.last_task ? `; its last task ${agent.last_task.status}` : ''}.`;
      return jsonResult({ timed_out, message, agent });
    },
  );
}
