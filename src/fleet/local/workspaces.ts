import { existsSync, mkdirSync } from 'node:fs';
import { WorkspaceError, type Workspace } from '../backend.js';
import { FleetError } from '../errors.js';
import type { KeyedLock } from '../keyed-lock.js';
import type { Project } from '../projects.js';
import { resolveBase } from '../review/base.js';
import { commitOf } from '../review/refs.js';
import type { AgentBase } from '../types.js';
import { ensureWorktree, findRepo, GitError, worktreeWorkdir } from '../worktrees.js';

export interface WorkspaceOptions {
  agentName: string;
  project: Project;
  /** Where the agent's worktree goes when the project is in a git repository. */
  worktreePath: string;
  /** One queue per repository (keyed by its common git dir) for git commands that change its worktree metadata. */
  repoLocks: KeyedLock;
  /** Where a new `fleet/<name>` branch starts. */
  base: AgentBase | null;
}

/** The base of a new agent of the project: the one asked for, else the project's own, else the main checkout's HEAD. */
export async function resolveLocalBase(project: Project, requested: string | undefined): Promise<AgentBase | null> {
  const repo = existsSync(project.path) ? await findRepo(project.path) : null;
  if (!repo) {
    if (requested?.trim()) {
      throw new FleetError('invalid_argument', `base "${requested}" cannot be used: project "${project.name}" is not a git repository; leave base out`);
    }
    return null;
  }
  const named = requested?.trim() || project.base;
  if (!named && (await commitOf(repo.root, 'HEAD')) === null) {
    // A repository without a commit yet: the worktree cannot be made, which fails the agent in the usual way, and
    // restart_agent finds the base once there is a commit.
    return null;
  }
  const { ref, commit } = await resolveBase({ repoRoot: repo.root, base: named });
  return { ref, commit };
}

/** The agent's own worktree on `fleet/<name>` in a git project, else the project directory itself. */
export async function prepareLocalWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const { project } = options;
  if (!existsSync(project.path)) throw new WorkspaceError(`the project directory ${project.path} does not exist`);
  const repo = await findRepo(project.path);
  if (!repo) return { workdir: project.path, branch: null, git: null, created: false };
  const branch = `fleet/${options.agentName}`;
  let created: boolean;
  try {
    // Concurrent `git worktree add` on one repository read each other's half-written .git/worktrees entries.
    ({ created } = await options.repoLocks.run(repo.commonDir, () =>
      ensureWorktree({ repoRoot: repo.root, path: options.worktreePath, branch, startPoint: options.base?.commit }),
    ));
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new WorkspaceError(`its git worktree could not be made: ${error.message}`);
  }
  const workdir = worktreeWorkdir(options.worktreePath, repo.prefix);
  // A project folder that git does not track yet is missing from a fresh worktree; the agent still works there.
  mkdirSync(workdir, { recursive: true });
  return { workdir, branch, git: { repo_root: repo.root, worktree: options.worktreePath }, created };
}

/** The lock key of the repository at `repoRoot`: its common git dir, or the root itself when git no longer finds it. */
export async function repoLockKey(repoRoot: string): Promise<string> {
  return (await findRepo(repoRoot))?.commonDir ?? repoRoot;
}
