import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({ project: z.string().min(1).describe('Project name, as listed by list_agent_projects.') });

export function registerListAgentRoles(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'list_agent_roles',
    {
      title: 'List agent roles',
      description:
        'Lists the roles an agent of the given project can have. A role is the agent CLI that runs each task (for ' +
        'example claude, codex or a configured command). Use it before create_agent to pick `role`; the one marked ' +
        '"default": true is used when create_agent gets no role. Returns {"project","roles":[{"name","description",' +
        '"command","continue_command","default","output","timeout","idle_timeout","projects","source","autocommit"}],"total_count"}. ' +
        'timeout and idle_timeout (no output for that long) end a task failed; null means no limit. continue_command ' +
        'runs a follow-up task that continues the previous conversation; null: every task starts fresh. autocommit: ' +
        "what a task leaves uncommitted is committed on the agent's branch when it ends.",
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ project }) => {
      const roles = deps.fleet.listRoles(project).map(({ name, description, command, continue_command, default: isDefault, output, timeout, idle_timeout, projects, source, autocommit }) => ({
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
      }));
      return jsonResult({ project, roles, total_count: roles.length });
    },
  );
}
