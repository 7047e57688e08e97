import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { AGENT_FIELDS, agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({ agent_name: agentNameArg });

export function registerCancelAgentTask(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'cancel_agent_task',
    {
      title: 'Cancel agent task',
      description:
        "Stops the agent's running task: Ctrl+C (SIGINT) to its whole process group, SIGTERM after 5 s, SIGKILL after " +
        '10 s; a queued task is taken out of the queue without starting. Answers once the task has ended, recorded ' +
        `as canceled, and the agent is idle again (its worktree and changes are kept). Returns the agent: ${AGENT_FIELDS}. ` +
        'Fails if no task is running or queued.',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async ({ agent_name }) => jsonResult(await deps.fleet.cancelTask(agent_name)),
  );
}
