import type { GitContext, TaskChanges } from '../backend.js';
import type { AgentRecord } from '../store.js';
import { findRepo, git } from '../worktrees.js';

const MAX_COMMITS = 100;
const MAX_FILES = 200;

/** The git dirs a role may name in its command, and the head of the agent's branch as a task starts. */
export async function localGitContext(record: AgentRecord): Promise<GitContext> {
  const none: GitContext = { git_dir: null, git_common_dir: null, head: null };
  if (!record.git || !record.agent.branch) return none;
  const repo = await findRepo(record.agent.workdir);
  if (!repo) return none;
  return { git_dir: repo.gitDir, git_common_dir: repo.commonDir, head: await branchHead(record.agent.workdir, record.agent.branch) };
}

/** What a task did to the agent's branch and worktree since `head` (the branch head when it started). */
export async function localTaskChanges(record: AgentRecord, head: string | null): Promise<TaskChanges> {
  if (!record.git || !record.agent.branch || head === null) return { commits: null, files_changed: null, uncommitted_changes: null };
  const cwd = record.agent.workdir;
  const log = await git(cwd, ['log', '--reverse', `--max-count=${MAX_COMMITS}`, '--format=%H%x09%s', `${head}..refs/heads/${record.agent.branch}`]);
  const commits = lines(log).map((line) => {
    const tab = line.indexOf('\t');
    return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
  });
  // Paths from the repository root, committed or not, and new files git does not track yet.
  const changed = await git(cwd, ['-c', 'core.quotepath=off', 'diff', '--name-only', head]);
  const untracked = await git(cwd, ['-c', 'core.quotepath=off', 'ls-files', '--others', '--exclude-standard', '--full-name', ':/']);
  const files = [...new Set([...lines(changed), ...lines(untracked)])].sort();
  const status = await git(cwd, ['--no-optional-locks', 'status', '--porcelain']);
  return { commits, files_changed: files.slice(0, MAX_FILES), uncommitted_changes: status !== '' };
}

async function branchHead(cwd: string, branch: string): Promise<string | null> {
  try {
    return await git(cwd, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
  } catch {
    return null;
  }
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}
