import * as z from 'zod';
import { NO_PROJECTS_HINT } from '../../fleet/projects.js';
import { fleetTool, jsonAnswer, READ_ONLY, strictArgs } from '../fleet-tool.js';
import { outputSchema, projectSchema } from '../output-schemas.js';

const output = outputSchema({
  projects: z.array(projectSchema),
  hint: z.string().optional(),
});

export const listAgentProjects = fleetTool({
  name: 'list_agent_projects',
  scope: 'read',
  title: 'List agent projects',
  description: 'Lists the projects (host directories) agents can work in; create_agent needs one.',
  input: strictArgs('list_agent_projects', {}),
  output,
  annotations: READ_ONLY,
  handler: (_args, { fleet }) => {
    // Read on each call: a long session sees the projects a config reload or a new stdio client brought.
    const projects = fleet.listProjects();
    return jsonAnswer({
      projects,
      total_count: projects.length,
      ...(projects.length === 0 ? { hint: NO_PROJECTS_HINT } : {}),
    });
  },
});
