import * as z from 'zod';
import { deleteConfirmed, isQuestion } from '../confirmations.js';
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
    'would be lost, unless force, or the user (asked where the client can) agrees.',
  input,
  output,
  annotations: { openWorldHint: false },
  handler: async ({ name, force }, { fleet }, call) => {
    const deleted = await deleteConfirmed(fleet, name, force, call);
    return isQuestion(deleted) ? deleted : jsonAnswer(deleted);
  },
});
