import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  project: z.string().min(1).describe('Project name, as listed by list_agent_projects; its repository is cleaned.'),
  into: z
    .string()
    .min(1)
    .max(250)
    .optional()
    .describe("The branch the work must be in for a branch to go; default: the branch the project's checkout has checked out."),
});

export function registerCleanupFleetBranches(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'cleanup_fleet_branches',
    {
      title: 'Clean up fleet branches',
      description:
        "Deletes the fleet/* branches of the project's repository that belong to no existing agent and whose work is " +
        'all in `into` (merged, or squashed/rebased in). Branches of live agents, checked-out branches and branches ' +
        'with unmerged work are kept, each with its reason. Returns {"project","into","deleted":[{"branch","commit",' +
        '"landed"}],"kept":[{"branch","reason"}]}.',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ project, into }) => jsonResult(await deps.fleet.cleanupBranches(project, into)),
  );
}
