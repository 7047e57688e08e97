import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({ agent_name: agentNameArg });

export function registerDeleteAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'delete_agent',
    {
      title: 'Delete agent',
      description:
        'Deletes an agent: cancels its running task, removes its git worktree and forgets it with its history and log. ' +
        'Its branch fleet/<name> is kept with every commit, but uncommitted changes in the worktree are lost. ' +
        'Returns the agent with status "deleted" and status_reason saying what happened to its files.',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async ({ agent_name }) => jsonResult(await deps.fleet.deleteAgent(agent_name)),
  );
}
