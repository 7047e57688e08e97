import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const inputSchema = z.object({
  agent_name: agentNameArg,
  target: z
    .string()
    .min(1)
    .max(250)
    .optional()
    .describe("Local branch to land the work on; default: the agent's base branch (the branch it was created from)."),
  commit: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/, { error: 'commit must be a commit id (7 to 64 hex digits), as show_agent_changes gives it in branch.commit' })
    .optional()
    .describe("The branch commit you reviewed (show_agent_changes' branch.commit); the merge is refused if the branch has moved since."),
  strategy: z
    .enum(['merge', 'squash', 'rebase'])
    .default('merge')
    .describe('merge: a merge commit (a fast-forward when the target has not moved); squash: one commit; rebase: the commits replayed onto the target.'),
  message: z.string().min(1).max(10_000).optional().describe('Message of the merge or squash commit; default names the agent, its branch and its tasks.'),
});

export function registerMergeAgent(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'merge_agent',
    {
      title: 'Merge agent',
      description:
        "Step 4 of create → wait → show changes → merge → delete: lands an idle agent's branch fleet/<name> on a " +
        'target branch. It first commits what the agent left uncommitted (leftovers_committed), then checks for ' +
        'conflicts without touching any checkout. Returns {"agent","outcome","strategy","target","branch",...}: ' +
        'outcome "merged" with oldSha, newSha, fastForward, created (new commits), files and checkoutUpdated (the ' +
        'checkout of the target that was brought along, or null); "up_to_date" with reason; "conflict" with the ' +
        'conflicting files and git\'s messages; "refused" with reason and files (e.g. the target is checked out with ' +
        'uncommitted changes). Every outcome other than "merged" changed nothing. Refused while the agent is busy or ' +
        "pending, and when commit is given and the branch has moved past it. No hook of the repository runs. " +
        'After a merge, delete_agent deletes the branch with the agent.',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ agent_name, target, commit, strategy, message }) => jsonResult(await deps.fleet.mergeAgent(agent_name, { target, commit, strategy, message })),
  );
}
