import * as z from 'zod';
import { textAnswer } from '../agent-question.js';
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
    'Gives an idle agent its next task (same conversation unless fresh_conversation), an asking one its answer. Else ' +
    'refused.',
  input,
  output,
  annotations: { destructiveHint: false, openWorldHint: false },
  // An agent whose CLI asks its user is busy, and the lead is that user: its task text is the answer. This way every
  // client answers, whatever it can ask, with the scope that steers agents.
  handler: async ({ name, task, fresh_conversation }, { fleet, caller }) => {
    const question = fleet.showAgent(name).question;
    if (question) return jsonAnswer(await fleet.answerQuestion(name, question.id, textAnswer(question, task)));
    return jsonAnswer(await fleet.startTask(name, task, { freshConversation: fresh_conversation, by: caller }));
  },
});
