import * as z from 'zod';
import { DEFAULT_DIFF_LIMIT_BYTES } from '../../fleet/review/changes.js';
import { agentNameArg, fleetTool, READ_ONLY, strictArgs, type ToolAnswer } from '../fleet-tool.js';
import type { AgentChanges, NotGitChanges } from '../../fleet/review/changes.js';
import { changesShape, outputSchema } from '../output-schemas.js';

const output = outputSchema(changesShape);

const MAX_DIFF_LIMIT_BYTES = 1024 * 1024;

const input = strictArgs('show_agent_changes', {
  name: agentNameArg,
  path: z.string().max(1000).optional().describe('A git pathspec; default: the project\'s folder'),
  diff_offset: z.number().int().min(0).max(2 ** 40).default(0),
  diff_limit_bytes: z.number().int().min(256).max(MAX_DIFF_LIMIT_BYTES).default(DEFAULT_DIFF_LIMIT_BYTES),
});

type Changes = (AgentChanges | NotGitChanges) & { agent: string };

/** As text: a line on where the branch stands, then the diff page itself, which escaped JSON would make unreadable. */
function changesText(changes: Changes): string {
  if (changes.kind === 'not_git') return changes.message ?? 'not a git project';
  const { branch, base, ahead, behind, diffstat, diff } = changes;
  const committed = diffstat?.committed;
  const head =
    `${changes.agent}: ${branch?.name} at ${branch?.commit}, ${ahead?.total} ahead of and ${behind?.total} behind ${base?.ref} (${base?.tip}); ` +
    `committed: ${committed?.files} files +${committed?.insertions} -${committed?.deletions}; ` +
    `uncommitted: ${diffstat?.uncommitted ? `${diffstat.uncommitted.files} files` : (changes.uncommittedNote ?? 'none')}; ` +
    `diff bytes ${diff?.offset}-${(diff?.offset ?? 0) + (diff?.shownBytes ?? 0)} of ${diff?.totalBytes}, nextOffset ${diff?.nextOffset}`;
  return [head, ...(diff?.parts ?? []).map((part) => part.text)].join('\n');
}

export const showAgentChanges = fleetTool({
  name: 'show_agent_changes',
  scope: 'read',
  title: 'Show agent changes',
  description:
    "An agent's work, to review before merge_agent: commits, diffstat, uncommitted files, a page of diff (next: diff_offset = diff.nextOffset).",
  input,
  output,
  annotations: READ_ONLY,
  handler: async ({ name, path, diff_offset, diff_limit_bytes }, { fleet }): Promise<ToolAnswer<Changes>> => {
    const changes = await fleet.agentChanges(name, { path, diffOffset: diff_offset, diffLimitBytes: diff_limit_bytes });
    return { structured: changes, text: changesText(changes) };
  },
});
