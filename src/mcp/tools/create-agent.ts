import * as z from 'zod';
import { fleetTool, jsonAnswer, newAgentNameArg, projectArg, strictArgs } from '../fleet-tool.js';
import { agentBrief, outputSchema } from '../output-schemas.js';

const output = outputSchema(agentBrief.shape);

const input = strictArgs('create_agent', {
  name: newAgentNameArg,
  project: projectArg,
  task: z.string().describe('Its first task, in full'),
  role: z.string().optional(),
  base: z.string().max(256).optional().describe("Branch, tag or commit; default: the project's"),
});

export const createAgent = fleetTool({
  name: 'create_agent',
  scope: 'run',
  title: 'Create agent',
  description:
    'Creates an agent with its own branch fleet/<name> and worktree, and starts its first task. Refused for a ' +
    'taken name, unknown project, role or base.',
  input,
  output,
  annotations: { destructiveHint: false, openWorldHint: false },
  handler: async ({ name, project, task, role, base }, { fleet, caller }) =>
    jsonAnswer(await fleet.createAgent({ name, project, task, role, base, by: caller })),
});
