import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  agent_name: agentNameArg,
  force: z.boolean().default(false).describe('Delete even when uncommitted files would be lost or commits are not in its base.'),
});

export function registerDeleteAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'delete_agent',
    {
      title: 'Delete agent',
      description:
        'Step 5 of create → wait → show changes → merge → delete: cancels its running task, removes its git worktree ' +
        'and forgets it with its history and log. Refused, listing them, while it has uncommitted files or commits not ' +
        'in its base (land them with merge_agent), unless force is true (uncommitted files are then lost). Its branch ' +
        'fleet/<name> is deleted when all its work is in its base, else kept and named. Returns the agent with status ' +
        '"deleted", status_reason saying what happened to its worktree and branch, branch_outcome {"branch","deleted",' +
        '"reason"} and forced_past (what force overrode, or null).',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async ({ agent_name, force }) => jsonResult(await deps.fleet.deleteAgent(agent_name, { force })),
  );
}
