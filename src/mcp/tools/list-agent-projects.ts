import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Project } from '../../fleet/projects.js';
import { jsonResult } from '../tool-result.js';

export interface ListAgentProjectsDeps {
  projects: readonly Project[];
}

export function registerListAgentProjects(server: McpServer, deps: ListAgentProjectsDeps): void {
  server.registerTool(
    'list_agent_projects',
    {
      title: 'List agent projects',
      description:
        'Lists the projects (directories on the host) that agents can work in. Call this first to learn the ' +
        'valid `project` values for creating agents. Returns {"projects":[{"name","path","description","base"?,"setup"?:{"copy","command","timeout"}}],"total_count"}; ' +
        '`base` is where its agents start when create_agent names none.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => jsonResult({ projects: deps.projects, total_count: deps.projects.length }),
  );
}
