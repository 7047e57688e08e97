import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { MAX_TASK_CHARS } from '../../fleet/fleet.js';
import { AGENT_FIELDS, newAgentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  name: newAgentNameArg,
  project: z.string().min(1).describe('Project name, as listed by list_agent_projects.'),
  task: z.string().min(1).max(MAX_TASK_CHARS).describe('What the agent should do: the full instructions of its first task.'),
  role: z.string().min(1).optional().describe("Role name from list_agent_roles; omit for the project's default role."),
  base: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe(
      "Git projects: the branch, tag or commit the agent's branch starts from (e.g. main, v1.2, a1b2c3d). Omit for the " +
        "project's configured base, else the branch the project's main checkout has checked out.",
    ),
});

export function registerCreateAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'create_agent',
    {
      title: 'Create agent',
      description:
        'Creates a named coding agent for a project and starts its first task right away. In a git project the agent ' +
        'gets its own worktree on a new branch fleet/<name> starting at `base` (an existing branch of that name, kept ' +
        'from a deleted agent, is continued), so agents never share a checkout; otherwise it works in the project ' +
        'directory. The agent\'s `base` field records the ref and commit it started from. A project with a worktree ' +
        'setup (copied files, a setup command) gets it before the first task, its output in the agent log. Returns the agent, ' +
        `busy with the task, or pending with it queued when the limit of busy agents (FLEET_MCP_MAX_BUSY) is reached ` +
        `(it then starts by itself when a slot frees): ${AGENT_FIELDS}. Follow it with wait_for_agent, show_agent or ` +
        'show_agent_log. Fails when the name is taken, the project or role is unknown (the error lists the valid ' +
        'ones) or the base is not a branch, tag or commit of the repository. When the worktree cannot be made or its ' +
        'setup fails the agent is left failed and the error says so (with the setup command\'s last output): its task was not ' +
        'started, its text is kept, and restart_agent runs it once the cause is fixed.',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ name, project, task, role, base }) => jsonResult(await deps.fleet.createAgent({ name, project, task, role, base, by: deps.caller })),
  );
}
