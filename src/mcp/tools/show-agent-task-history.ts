import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { TASK_HISTORY_PAGES } from '../../fleet/fleet.js';
import { agentNameArg, pageArgs, TASK_FIELDS, TASK_OUTCOME_HELP, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  agent_name: agentNameArg,
  ...pageArgs(TASK_HISTORY_PAGES, 'tasks'),
});

export function registerShowAgentTaskHistory(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'show_agent_task_history',
    {
      title: 'Show agent task history',
      description:
        "Lists an agent's tasks, newest first, one page at a time: what each was asked, how it ended and what it " +
        `changed. Returns {"tasks":[${TASK_FIELDS}],"page","page_size","total_count","has_next_page",` +
        `"has_previous_page"}; a page past the end is empty. ${TASK_OUTCOME_HELP}`,
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ agent_name, page, page_size }) => {
      const { items, ...paging } = deps.fleet.taskHistory(agent_name, { page, pageSize: page_size });
      return jsonResult({ tasks: items, ...paging });
    },
  );
}
