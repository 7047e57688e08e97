import * as z from 'zod';
import { AGENT_LOG_PAGES } from '../../fleet/fleet.js';
import { agentNameArg, fleetTool, pageArgs, READ_ONLY, strictArgs } from '../fleet-tool.js';
import { logLineSchema, outputSchema, pagingFields } from '../output-schemas.js';
import { visible } from '../visible-text.js';

const output = outputSchema({ lines: z.array(logLineSchema), ...pagingFields });

export const showAgentLog = fleetTool({
  name: 'show_agent_log',
  scope: 'read',
  title: 'Show agent log',
  description: "An agent's output (stdout, stderr, system lines), newest first: page 1 is what it does now.",
  input: strictArgs('show_agent_log', { name: agentNameArg, ...pageArgs(AGENT_LOG_PAGES) }),
  output,
  annotations: READ_ONLY,
  handler: async ({ name, page, page_size }, { fleet }) => {
    const { items, ...paging } = await fleet.agentLog(name, { page, pageSize: page_size });
    // As text, the lines themselves, oldest first as a terminal shows them: escaped JSON of a log is hard to read.
    const lines = items.map((line) => `${line.time} ${line.stream} ${visible(line.text)}`).reverse();
    const older = paging.has_next_page ? `; older ones on page ${paging.page + 1}` : '';
    const header = `Log of ${name}, page ${paging.page}: ${items.length} of ${paging.total_count} lines, oldest first${older}.`;
    return { structured: { lines: items, ...paging }, text: [header, ...lines].join('\n') };
  },
});
