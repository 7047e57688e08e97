import { existsSync, mkdirSync } from 'node:fs';
import { WorkspaceError, type Workspace } from '../backend.js';
import type { KeyedLock } from '../keyed-lock.js';
import type { Project } from '../projects.js';
import { resolveBase } from '../review/base.js';
import type { AgentBase } from '../store.js';
import { ensureWorktree, findRepo, GitError, worktreeWorkdir } from '../worktrees.js';

export interface WorkspaceOptions {
  agentName: string;
  project: Project;
  /** Where the agent's worktree goes when the project is in a git repository. */
  worktreePath: string;
  /** One queue per repository (keyed by its common git dir) for git commands that change its worktree metadata. */
  repoLocks: KeyedLock;
}

/** The agent's own worktree on `fleet/<name>` in a git project, else the project directory itself. */
export async function prepareLocalWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const { project } = options;
  if (!existsSync(project.path)) throw new WorkspaceError(`the project directory ${project.path} does not exist`);
  const repo = await findRepo(project.path);
  if (!repo) return { workdir: project.path, branch: null, git: null };
  const branch = `fleet/${options.agentName}`;
  let base: AgentBase;
  try {
    // Concurrent `git worktree add` on one repository read each other's half-written .git/worktrees entries.
    base = await options.repoLocks.run(repo.commonDir, async () => {
      await ensureWorktree({ repoRoot: repo.root, path: options.worktreePath, branch });
      // A new branch starts at the checkout's HEAD: that is the base its work is measured against and merged into.
      const { ref, commit } = await resolveBase({ repoRoot: repo.root });
      return { ref, commit };
    });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new WorkspaceError(`its git worktree could not be made: ${error.message}`);
  }
  const workdir = worktreeWorkdir(options.worktreePath, repo.prefix);
  // A project folder that git does not track yet is missing from a fresh worktree; the agent still works there.
  mkdirSync(workdir, { recursive: true });
  return { workdir, branch, git: { repo_root: repo.root, worktree: options.worktreePath, base } };
}

/** The lock key of the repository at `repoRoot`: its common git dir, or the root itself when git no longer finds it. */
export async function repoLockKey(repoRoot: string): Promise<string> {
  return (await findRepo(repoRoot))?.commonDir ?? repoRoot;
}
