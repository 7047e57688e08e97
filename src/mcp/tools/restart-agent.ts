import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { AGENT_FIELDS, agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({ agent_name: agentNameArg });

export function registerRestartAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'restart_agent',
    {
      title: 'Restart agent',
      description:
        'Returns an agent to idle: cancels its running or queued task if there is one, and for a failed agent (or one ' +
        'whose directory is gone) makes its worktree again. If its last task was never started (its worktree or ' +
        'command was missing), that task is run again with the same text, so the agent comes back busy or pending. ' +
        `Use it to recover a failed or stuck agent; its branch and history are kept. Returns the agent: ${AGENT_FIELDS}.`,
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ agent_name }) => jsonResult(await deps.fleet.restartAgent(agent_name, deps.caller)),
  );
}
