import * as z from 'zod';
import { isQuestion, mergeConfirmed } from '../confirmations.js';
import { agentNameArg, fleetTool, jsonAnswer, strictArgs } from '../fleet-tool.js';
import { mergeShape, outputSchema } from '../output-schemas.js';

const output = outputSchema(mergeShape);

const input = strictArgs('merge_agent', {
  name: agentNameArg,
  target: z.string().max(250).optional().describe('Default: its base branch'),
  commit: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/, {
      error: 'commit must be a commit id (7 to 64 hex digits), as show_agent_changes gives it in branch.commit',
    })
    .optional()
    .describe("show_agent_changes' branch.commit"),
  strategy: z.enum(['merge', 'squash', 'rebase']).default('merge'),
  message: z.string().max(10_000).optional(),
});

export const mergeAgent = fleetTool({
  name: 'merge_agent',
  scope: 'admin',
  title: 'Merge agent',
  description:
    "Lands an idle agent's branch, leftovers committed first, no hook run. outcome: merged, up_to_date, conflict " +
    'or refused (no change). Refused while busy or if the branch moved past commit. Asks the user about leftovers ' +
    'if it can.',
  input,
  output,
  annotations: { destructiveHint: false, openWorldHint: false },
  handler: async ({ name, target, commit, strategy, message }, { fleet }, call) => {
    const merged = await mergeConfirmed(fleet, name, { target, commit, strategy, message }, call);
    return isQuestion(merged) ? merged : jsonAnswer(merged);
  },
});
