import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Fleet } from '../../fleet/fleet.js';
import { NO_PROJECTS_HINT } from '../../fleet/projects.js';
import { jsonResult } from '../tool-result.js';

export interface ListAgentProjectsDeps {
  fleet: Pick<Fleet, 'listProjects'>;
}

export function registerListAgentProjects(server: McpServer, deps: ListAgentProjectsDeps): void {
  server.registerTool(
    'list_agent_projects',
    {
      title: 'List agent projects',
      description:
        'Lists the projects (directories on the host) that agents can work in. Call this first to learn the ' +
        'valid `project` values for creating agents. Returns {"projects":[{"name","path","description","base"?,"setup"?:{"copy","command","timeout"}}],"total_count","hint"?} (a hint says how to add projects when there are none); ' +
        '`base` is where its agents start when create_agent names none.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => {
      // Read on each call: a long session sees the projects a config reload or a new stdio client brought.
      const projects = deps.fleet.listProjects();
      return jsonResult({ projects, total_count: projects.length, ...(projects.length === 0 ? { hint: NO_PROJECTS_HINT } : {}) });
    },
  );
}
