import * as z from 'zod';
import { AGENT_STATUSES } from '../../fleet/types.js';
import { fleetTool, jsonAnswer, projectArg, READ_ONLY, strictArgs } from '../fleet-tool.js';
import { listedAgentSchema, outputSchema } from '../output-schemas.js';

const input = strictArgs('list_agents', {
  status: z.enum(AGENT_STATUSES, { error: `status must be one of: ${AGENT_STATUSES.join(', ')}` }).optional(),
  project: projectArg.optional(),
});

const output = outputSchema({ agents: z.array(listedAgentSchema), usage: z.unknown().meta({ type: 'object' }) });

export const listAgents = fleetTool({
  name: 'list_agents',
  scope: 'read',
  title: 'List agents',
  description: "Lists agents (of one status or project if given), each with its last_outcome, and the fleet's usage.",
  input,
  output,
  annotations: READ_ONLY,
  showsApp: true,
  handler: ({ status, project }, { fleet }) => {
    const agents = fleet.listAgents({ status, project });
    return jsonAnswer({ agents, total_count: agents.length, usage: fleet.usageReport() });
  },
});
