import * as z from 'zod';
import { fleetTool, jsonAnswer, projectArg, strictArgs } from '../fleet-tool.js';
import { cleanupShape, outputSchema } from '../output-schemas.js';

const output = outputSchema(cleanupShape);

const input = strictArgs('cleanup_fleet_branches', {
  project: projectArg,
  into: z.string().max(250).optional().describe("Default: the checkout's branch"),
});

export const cleanupFleetBranches = fleetTool({
  name: 'cleanup_fleet_branches',
  scope: 'admin',
  title: 'Clean up fleet branches',
  description:
    "Deletes the project's fleet/* branches of no agent whose work is all in `into`; keeps, with why, the others.",
  input,
  output,
  annotations: { idempotentHint: true, openWorldHint: false },
  handler: async ({ project, into }, { fleet }) => jsonAnswer(await fleet.cleanupBranches(project, into)),
});
