import type { TaskChanges } from '../../backend.js';
import { git } from '../../review/git.js';
import { hasUncommitted, uncommittedFiles, uncommittedPaths } from '../../review/status.js';
import type { AgentRecord } from '../../store.js';
import type { KeyedLock } from '../../keyed-lock.js';
import { fetchBranchLocked, openAgentGit, type PlaceOf } from './agent-git.js';

const MAX_COMMITS = 100;
const MAX_FILES = 200;

/**
 * What a task did to the agent's branch and repository since `head` (the branch's commit when it started): the
 * branch is fetched first, so its commits and files are read from the user's repository; what is left uncommitted
 * is read in the agent's place.
 */
export async function localTaskChanges(
  record: AgentRecord,
  head: string | null,
  parts: { placeOf: PlaceOf; repoLocks: KeyedLock },
): Promise<TaskChanges> {
  const agent = head === null ? null : await openAgentGit(record, parts.placeOf);
  if (agent === null || head === null) return { commits: null, files_changed: null, uncommitted_changes: null };
  const tip = await fetchBranchLocked(agent, parts.repoLocks);
  const log = await git(agent.repoRoot, [
    'log',
    '--reverse',
    `--max-count=${MAX_COMMITS}`,
    '--format=%H%x09%s',
    `${head}..${tip}`,
  ]);
  const commits = lines(log).map((line) => {
    const tab = line.indexOf('\t');
    return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
  });
  const committed = await git(agent.repoRoot, [
    '-c',
    'core.quotepath=off',
    'diff',
    '--name-only',
    '--no-renames',
    head,
    tip,
  ]);
  const status = agent.worktree === null ? null : await uncommittedFiles(agent.worktree, { place: agent.place });
  const files = [...new Set([...lines(committed), ...(status ? uncommittedPaths(status) : [])])].sort();
  return {
    commits,
    files_changed: files.slice(0, MAX_FILES),
    uncommitted_changes: status !== null && hasUncommitted(status),
  };
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}
