import * as z from 'zod';
import { agentNameArg, fleetTool, jsonAnswer, strictArgs } from '../fleet-tool.js';
import { agentBrief, outputSchema } from '../output-schemas.js';

const output = outputSchema(agentBrief.shape);

const input = strictArgs('start_agent_task', {
  name: agentNameArg,
  task: z.string(),
  fresh_conversation: z.boolean().default(false),
});

export const startAgentTask = fleetTool({
  name: 'start_agent_task',
  scope: 'run',
  title: 'Start agent task',
  description:
    'Gives an idle agent its next task, in the same conversation unless fresh_conversation. Refused unless idle.',
  input,
  output,
  annotations: { destructiveHint: false, openWorldHint: false },
  handler: async ({ name, task, fresh_conversation }, { fleet, caller }) =>
    jsonAnswer(await fleet.startTask(name, task, { freshConversation: fresh_conversation, by: caller })),
});
