import { agentNameArg, fleetTool, jsonAnswer, strictArgs } from '../fleet-tool.js';
import { agentBrief, outputSchema } from '../output-schemas.js';

const output = outputSchema(agentBrief.shape);

export const cancelAgentTask = fleetTool({
  name: 'cancel_agent_task',
  scope: 'run',
  title: 'Cancel agent task',
  description:
    "Stops the agent's running or queued task, answering once it ended; its work is kept. Refused without one.",
  input: strictArgs('cancel_agent_task', { name: agentNameArg }),
  output,
  annotations: { openWorldHint: false },
  handler: async ({ name }, { fleet }) => jsonAnswer(await fleet.cancelTask(name)),
});
