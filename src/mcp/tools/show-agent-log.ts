import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { AGENT_LOG_PAGES } from '../../fleet/fleet.js';
import { agentNameArg, pageArgs, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  agent_name: agentNameArg,
  ...pageArgs(AGENT_LOG_PAGES, 'lines'),
});

export function registerShowAgentLog(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'show_agent_log',
    {
      title: 'Show agent log',
      description:
        "Shows an agent's output, newest line first, one page at a time: the stdout and stderr lines of its tasks plus " +
        '"system" lines saying when a task started and how it ended. Page 1 is the latest output, so it shows what ' +
        'a busy agent is doing now. Returns {"lines":[{"time","stream","text","task_id"}],"page","page_size",' +
        '"total_count","has_next_page","has_previous_page"}; a page past the end is empty.',
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ agent_name, page, page_size }) => {
      const { items, ...paging } = deps.fleet.agentLog(agent_name, { page, pageSize: page_size });
      return jsonResult({ lines: items, ...paging });
    },
  );
}
