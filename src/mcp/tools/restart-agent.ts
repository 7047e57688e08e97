import { agentNameArg, fleetTool, jsonAnswer, strictArgs } from '../fleet-tool.js';
import { agentBrief, outputSchema } from '../output-schemas.js';

const output = outputSchema(agentBrief.shape);

export const restartAgent = fleetTool({
  name: 'restart_agent',
  scope: 'run',
  title: 'Restart agent',
  description:
    'Recovers a failed or stuck agent: cancels its task, remakes a lost worktree, reruns a never-started task.',
  input: strictArgs('restart_agent', { name: agentNameArg }),
  output,
  annotations: { idempotentHint: true, openWorldHint: false },
  handler: async ({ name }, { fleet, caller }) => jsonAnswer(await fleet.restartAgent(name, caller)),
});
