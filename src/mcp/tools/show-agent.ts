import { agentNameArg, fleetTool, jsonAnswer, READ_ONLY, strictArgs, TASK_OUTCOME_HELP } from '../fleet-tool.js';
import { agentShape, outputSchema } from '../output-schemas.js';

const output = outputSchema(agentShape);

export const showAgent = fleetTool({
  name: 'show_agent',
  scope: 'read',
  title: 'Show agent',
  description: `Shows an agent: status, where it works, latest task. ${TASK_OUTCOME_HELP}`,
  input: strictArgs('show_agent', { name: agentNameArg }),
  output,
  annotations: READ_ONLY,
  showsApp: true,
  handler: ({ name }, { fleet }) => jsonAnswer(fleet.showAgent(name)),
});
