import * as z from 'zod';
import { AGENT_LIST_PAGES } from '../../fleet/fleet-api.js';
import { AGENT_STATUSES } from '../../fleet/types.js';
import { fleetTool, jsonAnswer, projectArg, READ_ONLY, strictArgs } from '../fleet-tool.js';
import { listedAgentSchema, outputSchema } from '../output-schemas.js';

const input = strictArgs('list_agents', {
  status: z.enum(AGENT_STATUSES, { error: `status must be one of: ${AGENT_STATUSES.join(', ')}` }).optional(),
  project: projectArg.optional(),
  cursor: z.string().optional(),
  // No default in the schema (tools/list is kept small): the fleet's is AGENT_LIST_PAGES.defaultSize.
  page_size: z.number().int().min(1).max(AGENT_LIST_PAGES.maxSize).optional(),
});

// total_count is in the answer too, unlisted: tools/list is kept small.
const output = outputSchema({
  agents: z.array(listedAgentSchema),
  next_cursor: z.string().nullable(),
  usage: z.unknown().meta({ type: 'object' }),
});

export const listAgents = fleetTool({
  name: 'list_agents',
  scope: 'read',
  title: 'List agents',
  description: `Agents by name, ${AGENT_LIST_PAGES.defaultSize} a page (next: cursor=next_cursor), each with last_outcome; and the fleet's usage.`,
  input,
  output,
  annotations: READ_ONLY,
  showsApp: true,
  handler: ({ status, project, cursor, page_size }, { fleet }) => {
    const page = fleet.listAgentsPage({ status, project, cursor, pageSize: page_size });
    return jsonAnswer({ ...page, usage: fleet.usageReport() });
  },
});
