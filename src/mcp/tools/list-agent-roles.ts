import * as z from 'zod';
import { fleetTool, jsonAnswer, projectArg, READ_ONLY, strictArgs } from '../fleet-tool.js';
import { outputSchema, roleSchema } from '../output-schemas.js';

const output = outputSchema({ project: z.string(), roles: z.array(roleSchema) });

export const listAgentRoles = fleetTool({
  name: 'list_agent_roles',
  scope: 'read',
  title: 'List agent roles',
  description:
    "Lists the roles (the CLI running its tasks) a project's agent can have; create_agent's default is marked.",
  input: strictArgs('list_agent_roles', { project: projectArg }),
  output,
  annotations: READ_ONLY,
  handler: ({ project }, { fleet }) => {
    const roles = fleet
      .listRoles(project)
      .map(
        ({
          name,
          description,
          command,
          continue_command,
          default: isDefault,
          output,
          timeout,
          idle_timeout,
          projects,
          source,
          autocommit,
          usable,
          problem,
        }) => ({
          name,
          description,
          command,
          continue_command,
          default: isDefault,
          output,
          timeout,
          idle_timeout,
          projects,
          source,
          autocommit,
          usable,
          problem,
        }),
      );
    return jsonAnswer({ project, roles, total_count: roles.length });
  },
});
