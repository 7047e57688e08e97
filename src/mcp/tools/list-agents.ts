import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { AGENT_STATUSES } from '../../fleet/types.js';
import type { FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  status_filter: z
    .enum(AGENT_STATUSES, { error: `status_filter must be one of: ${AGENT_STATUSES.join(', ')}` })
    .optional()
    .describe('Only agents with this status.'),
  project_filter: z.string().min(1).optional().describe('Only agents of this project (see list_agent_projects).'),
});

export function registerListAgents(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'list_agents',
    {
      title: 'List agents',
      description:
        'Lists the agents of this fleet with their status, optionally only those with one status and/or of one ' +
        'project. Use it to see what exists and what is busy. Returns {"agents":[{"name","project","role","status",' +
        '"status_reason","workdir","branch","current_task_id","created_at","updated_at"}],"total_count"}, sorted by name.',
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ status_filter, project_filter }) => {
      const agents = deps.fleet.listAgents({ status: status_filter, project: project_filter });
      return jsonResult({ agents, total_count: agents.length });
    },
  );
}
