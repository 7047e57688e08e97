import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { MAX_TASK_CHARS } from '../../fleet/fleet.js';
import { AGENT_FIELDS, agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  agent_name: agentNameArg,
  task_description: z.string().min(1).max(MAX_TASK_CHARS).describe('What the agent should do: the full instructions of the task.'),
  fresh_conversation: z
    .boolean()
    .default(false)
    .describe("true: start a new conversation. Default false: continue the agent's previous conversation where its role can."),
});

export function registerStartAgentTask(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'start_agent_task',
    {
      title: 'Start agent task',
      description:
        'Gives an idle agent a new task; it runs in the agent\'s own directory, so it sees the work of its earlier ' +
        'tasks. By default a follow-up continues the agent\'s previous conversation (the role\'s continue_command, shown ' +
        'by list_agent_roles; a role without one starts fresh), so it remembers what it was told and did; ' +
        'fresh_conversation: true starts a new one. The task\'s continued_conversation says which happened. Only works when the agent is idle: if it is busy, wait_for_agent or cancel_agent_task first; if it ' +
        `failed, restart_agent first. Returns the agent, busy with the task, or pending with it queued (queue_position) ` +
        `when FLEET_MCP_MAX_BUSY agents are busy; a queued task starts by itself, first come first served: ${AGENT_FIELDS}.`,
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ agent_name, task_description, fresh_conversation }) =>
      jsonResult(await deps.fleet.startTask(agent_name, task_description, { freshConversation: fresh_conversation, by: deps.caller })),
  );
}
