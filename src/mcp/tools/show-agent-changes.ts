import * as z from 'zod';
import { DEFAULT_DIFF_LIMIT_BYTES, type AgentChanges, type NotGitChanges } from '../../fleet/review/changes.js';
import { agentNameArg, fleetTool, READ_ONLY, strictArgs, type ToolAnswer } from '../fleet-tool.js';
import { changesShape, outputSchema } from '../output-schemas.js';
import { visible } from '../visible-text.js';

const output = outputSchema(changesShape);

const MAX_DIFF_LIMIT_BYTES = 1024 * 1024;

const input = strictArgs('show_agent_changes', {
  name: agentNameArg,
  path: z.string().max(1000).optional().describe("A git pathspec; default: the project's folder"),
  diff_offset: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .default(0),
  diff_limit_bytes: z.number().int().min(256).max(MAX_DIFF_LIMIT_BYTES).default(DEFAULT_DIFF_LIMIT_BYTES),
});

type Changes = (AgentChanges | NotGitChanges) & { agent: string };

/**
 * As text: where the branch stands, its commits and uncommitted files, then the page of diff itself, which escaped
 * JSON would make hard to read. What the agent chose (subjects, paths) has its control characters spelt out.
 */
function changesText(changes: Changes): string {
  if (changes.kind === 'not_git') return changes.message;
  const { branch, base, ahead, behind, diffstat, uncommitted, diff } = changes;
  const { files, insertions, deletions } = diffstat.committed;
  const worktree = uncommitted === null ? [] : [...uncommitted.staged.items, ...uncommitted.unstaged.items];
  const untracked = uncommitted?.untracked.items ?? [];
  return [
    `${changes.agent}: ${branch.name} at ${branch.commit}, ${ahead.total} ahead of and ${behind.total} behind ${base.ref} (${base.tip}); ` +
      `committed: ${files} files +${insertions} -${deletions}`,
    ...ahead.items.map((commit) => `commit ${commit.sha.slice(0, 12)} ${visible(commit.subject)}`),
    ...worktree.map((file) => `uncommitted ${file.status} ${visible(file.path)}`),
    ...untracked.map((path) => `untracked ${visible(path)}`),
    ...(changes.uncommittedNote ? [changes.uncommittedNote] : []),
    `diff bytes ${diff.offset}-${diff.offset + diff.shownBytes} of ${diff.totalBytes}, nextOffset ${diff.nextOffset}:`,
    ...diff.parts.map((part) => part.text),
  ].join('\n');
}

export const showAgentChanges = fleetTool({
  name: 'show_agent_changes',
  scope: 'read',
  title: 'Show agent changes',
  description:
    "An agent's work, to review before merge_agent: commits, diffstat, uncommitted files, a page of diff (next: diff_offset=diff.nextOffset).",
  input,
  output,
  annotations: READ_ONLY,
  handler: async ({ name, path, diff_offset, diff_limit_bytes }, { fleet }): Promise<ToolAnswer<Changes>> => {
    const changes = await fleet.agentChanges(name, { path, diffOffset: diff_offset, diffLimitBytes: diff_limit_bytes });
    return { structured: changes, text: changesText(changes) };
  },
});
