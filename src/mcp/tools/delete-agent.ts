import * as z from 'zod';
import { agentNameArg, fleetTool, jsonAnswer, strictArgs } from '../fleet-tool.js';
import { deletedAgentShape, outputSchema } from '../output-schemas.js';

const output = outputSchema(deletedAgentShape);

const input = strictArgs('delete_agent', {
  name: agentNameArg,
  force: z.boolean().default(false),
});

export const deleteAgent = fleetTool({
  name: 'delete_agent',
  scope: 'admin',
  title: 'Delete agent',
  description:
    'Removes an agent, its worktree and history, and its branch if its work is in its base. Refused while work ' +
    'would be lost, unless force.',
  input,
  output,
  annotations: { openWorldHint: false },
  handler: async ({ name, force }, { fleet }) => jsonAnswer(await fleet.deleteAgent(name, { force })),
});
