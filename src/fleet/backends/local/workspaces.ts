import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkspaceError, type Workspace } from '../../backend.js';
import { FleetError } from '../../errors.js';
import type { KeyedLock } from '../../keyed-lock.js';
import type { Project } from '../../projects.js';
import { findRepo, findRepoAndHead } from '../../repo/find-repo.js';
import { makeAgentRepo } from '../../repo/agent-repo.js';
import { makeAgentBareRepo } from '../remote/agent-bare-repo.js';
import { headAsBase, resolveBase } from '../../review/base.js';
import { git, GitError, runGit } from '../../review/git.js';
import { commitOf, plainBranchCommit } from '../../review/refs.js';
import type { AgentBase } from '../../types.js';

export interface WorkspaceOptions {
  agentName: string;
  project: Project;
  /** Where the agent's repository goes when the project is in a git repository. */
  worktreePath: string;
  /** One queue per repository (keyed by its common git dir) for git commands that change its refs. */
  repoLocks: KeyedLock;
  /** Where a new `fleet/<name>` branch starts. */
  base: AgentBase | null;
  /** Its tasks run on an engine: its repository is a bare one it clones and pushes to over git-http.ts. */
  onEngine: boolean;
}

/** The base of a new agent of the project: the one asked for, else the project's own, else the main checkout's HEAD. */
export async function resolveLocalBase(project: Project, requested: string | undefined): Promise<AgentBase | null> {
  const found = existsSync(project.path) ? await findRepoAndHead(project.path) : null;
  if (!found) {
    if (requested?.trim()) {
      throw new FleetError(
        'invalid_argument',
        `base "${requested}" cannot be used: project "${project.name}" is not a git repository; leave base out`,
      );
    }
    return null;
  }
  const named = requested?.trim() || project.base;
  // Without a commit yet there is no default base: the worktree cannot be made, which fails the agent in the usual
  // way, and restart_agent finds the base once there is a commit.
  const base = named
    ? await resolveBase({ repoRoot: found.repo.root, base: named })
    : found.head && headAsBase(found.head);
  return base && { ref: base.ref, commit: base.commit };
}

/**
 * The agent's own repository on `fleet/<name>` in a git project, else the project directory itself. The branch is
 * made in the user's repository too, at the base (or kept, with an earlier agent's work, when it is there already):
 * that is where the agent's work arrives, and what keeps the base's objects, which the agent's repository reads,
 * from being pruned.
 */
export async function prepareLocalWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const { project } = options;
  if (!existsSync(project.path)) throw new WorkspaceError(`the project directory ${project.path} does not exist`);
  const repo = await findRepo(project.path);
  if (!repo && options.onEngine) {
    throw new WorkspaceError(
      `project "${project.name}" is not a git repository, and an agent on an engine gets its work there and back only by git: run git init and commit once, or run the agent on backend "local"`,
    );
  }
  if (!repo) return { workdir: project.path, branch: null, git: null, created: false, agentWork: false };
  const branch = `fleet/${options.agentName}`;
  let created: boolean;
  let agentWork = false;
  try {
    ({ created } = await options.repoLocks.run(repo.commonDir, async () => {
      const commit = await branchStart(repo.root, branch, options.base?.commit);
      agentWork = options.base !== null && commit !== options.base.commit;
      if (options.onEngine)
        return makeAgentBareRepo({ path: options.worktreePath, branch, commit, sourceGitDir: repo.commonDir });
      return makeAgentRepo({
        path: options.worktreePath,
        branch,
        commit,
        sourceGitDir: repo.commonDir,
        sourceRoot: repo.root,
        agentWork,
      });
    }));
  } catch (error) {
    if (!(error instanceof GitError) && !(error instanceof FleetError) && !(error instanceof WorkspaceError))
      throw error;
    throw new WorkspaceError(`its repository could not be made: ${error.message}`);
  }
  // Nothing of an agent on an engine is checked out here: it works in its own clone, in the project's folder.
  if (options.onEngine)
    return {
      workdir: options.worktreePath,
      branch,
      git: { repo_root: repo.root, worktree: options.worktreePath },
      created,
      agentWork,
    };
  const workdir = worktreeWorkdir(options.worktreePath, repo.prefix);
  // A project folder that git does not track yet is missing from a fresh repository; the agent still works there.
  // Made only in a repository made just now: in one the agent has used, the path may lead anywhere.
  if (created) mkdirSync(workdir, { recursive: true });
  return { workdir, branch, git: { repo_root: repo.root, worktree: options.worktreePath }, created, agentWork };
}

/** The commit `fleet/<name>` of the user's repository is at, made at `start` (or HEAD) when it is not there yet. */
async function branchStart(repoRoot: string, branch: string, start: string | undefined): Promise<string> {
  const ref = `refs/heads/${branch}`;
  const create = ['update-ref', '--no-deref', '-m', 'fleet-mcp: new agent', ref];
  // The empty old value makes it only where no ref of the name is, plain or symbolic: a new agent's branch is then
  // one git run. Where one is, it is looked at below, and a symbolic one refused.
  if (start !== undefined && (await runGit(repoRoot, [...create, start, ''], { okCodes: [128] })).code === 0)
    return start;
  const existing = await plainBranchCommit(repoRoot, ref);
  if (existing !== null) return existing;
  const commit = start ?? (await commitOf(repoRoot, 'HEAD'));
  if (commit === null)
    throw new WorkspaceError(`the repository at ${repoRoot} has no commit yet; commit once, then restart_agent`);
  await git(repoRoot, [...create, commit, '']);
  return commit;
}

/** The directory an agent works in: its repository, at the same place inside as the project in the user's. */
function worktreeWorkdir(repoPath: string, prefix: string): string {
  return prefix === '' ? repoPath : join(repoPath, prefix);
}

/** The lock key of the repository at `repoRoot`: its common git dir, or the root itself when git no longer finds it. */
export async function repoLockKey(repoRoot: string): Promise<string> {
  return (await findRepo(repoRoot))?.commonDir ?? repoRoot;
}
