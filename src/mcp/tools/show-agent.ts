import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { AGENT_FIELDS, agentNameArg, TASK_OUTCOME_HELP, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({ agent_name: agentNameArg });

export function registerShowAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'show_agent',
    {
      title: 'Show agent',
      description:
        'Shows one agent: its status (idle, pending, busy, canceling, failed with status_reason, ...), where it works, ' +
        `and its latest task. Returns ${AGENT_FIELDS}. ${TASK_OUTCOME_HELP} For the output use show_agent_log; for ` +
        'earlier tasks show_agent_task_history.',
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ agent_name }) => jsonResult(deps.fleet.showAgent(agent_name)),
  );
}
