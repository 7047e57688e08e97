import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { GitContext } from '../../backend.js';
import { LOCAL_BACKEND } from '../backends-config.js';
import { FleetError } from '../../errors.js';
import type { KeyedLock } from '../../keyed-lock.js';
import { LaunchError } from './sandbox/launcher.js';
import { agentRepoProblem } from '../../repo/agent-repo.js';
import { fetchAgentBranch } from '../../repo/fetch-branch.js';
import { findRepo } from '../../repo/find-repo.js';
import { resolveBase } from '../../review/base.js';
import type { GitPlace } from '../../review/git.js';
import { branchRef, commitOf } from '../../review/refs.js';
import type { AgentRecord } from '../../store.js';
import type { AgentBase } from '../../types.js';
import { repoLockKey } from './workspaces.js';

/** Where git runs on an agent's repository: see AgentLauncher.placeOfRepository. */
export type PlaceOf = (record: AgentRecord, context: GitContext) => GitPlace;

/** An agent's repository and the user's it came from, with where git may read the agent's. */
export interface AgentGit {
  agentName: string;
  /** The user's checkout, which holds the base and receives the agent's branch. */
  repoRoot: string;
  /** The agent's own repository: its checkout, or for an agent on an engine the bare repository it pushes to. */
  repo: string;
  /** Its checkout; null for an agent on an engine, which has none on this host. */
  worktree: string | null;
  branch: string;
  base: AgentBase;
  place: GitPlace;
}

const NO_GIT: GitContext = { git_dir: null, git_common_dir: null, source_git_dir: null, head: null };

/**
 * The agent's git dirs, the user's, and the commit its branch had when last fetched; nothing outside git or where
 * the agent's repository is missing (the task then fails on its missing directory). Throws for a repository that
 * is not the agent's own, e.g. a worktree of an earlier fleet-mcp.
 */
export async function agentGitContext(record: AgentRecord): Promise<GitContext> {
  // An agent on an engine works in a clone of its own: no dir of this host is named to its role.
  const context = onEngine(record) ? NO_GIT : await repositoryContext(record);
  if ((context.git_dir === null && !onEngine(record)) || !record.git || !record.agent.branch) return context;
  return { ...context, head: await commitOf(record.git.repo_root, branchRef(record.agent.branch)).catch(() => null) };
}

/** agentGitContext without the branch's commit, which only a task's start needs. */
async function repositoryContext(record: AgentRecord): Promise<GitContext> {
  if (!record.git || !record.agent.branch) return NO_GIT;
  const problem = agentRepoProblem(record.git.worktree);
  if (problem === 'missing') return NO_GIT;
  if (problem !== null) throw new FleetError('failed', problem);
  const gitDir = join(record.git.worktree, '.git');
  return {
    git_dir: gitDir,
    git_common_dir: gitDir,
    source_git_dir: await sourceGitDir(record.git.repo_root),
    head: null,
  };
}

/** The user's repository's git dir: `<root>/.git` as a rule, found by git where it is a file (a linked worktree). */
async function sourceGitDir(repoRoot: string): Promise<string | null> {
  const dotGit = join(repoRoot, '.git');
  if (existsSync(dotGit) && statSync(dotGit).isDirectory()) return realpathSync(dotGit);
  return (await findRepo(repoRoot))?.commonDir ?? null;
}

/** The agent's repository with where to read it; null for an agent outside git. */
export async function openAgentGit(record: AgentRecord, placeOf: PlaceOf): Promise<AgentGit | null> {
  if (!record.git || !record.agent.branch) return null;
  const { repo_root: repoRoot, worktree } = record.git;
  // An agent made before bases were recorded is measured against the checkout's current HEAD.
  const base = record.agent.base ?? (await resolveBase({ repoRoot }));
  const common = {
    agentName: record.agent.name,
    repoRoot,
    repo: worktree,
    branch: record.agent.branch,
    base: { ref: base.ref, commit: base.commit },
  };
  // The server's own bare repository, whose config and hooks no agent writes; what was pushed to it was checked.
  if (onEngine(record)) return { ...common, worktree: null, place: (argv, env) => ({ argv, env }) };
  const context = await repositoryContext(record);
  return { ...common, worktree, place: placed(record, context, placeOf) };
}

/** The agent's tasks run on an engine, not on this host. */
export function onEngine(record: AgentRecord): boolean {
  return record.agent.backend !== LOCAL_BACKEND;
}

/** Where git may read the agent's repository; a sandbox that cannot be had is a refusal that says why. */
function placed(record: AgentRecord, context: GitContext, placeOf: PlaceOf): GitPlace {
  try {
    return placeOf(record, context);
  } catch (error) {
    if (!(error instanceof LaunchError)) throw error;
    throw new FleetError(
      'failed',
      `the repository of agent "${record.agent.name}" is read only where its tasks run: ${error.message}`,
    );
  }
}

/** Fetches the agent's branch into the user's repository (see fetch-branch.ts); returns its commit. */
export function fetchBranch(git: AgentGit): Promise<string> {
  return fetchAgentBranch({
    repoRoot: git.repoRoot,
    agentName: git.agentName,
    agentRepo: git.repo,
    branch: git.branch,
    place: git.place,
  });
}

/** fetchBranch under the user's repository's lock, which every move of its refs takes. */
export async function fetchBranchLocked(git: AgentGit, repoLocks: KeyedLock): Promise<string> {
  return repoLocks.run(await repoLockKey(git.repoRoot), () => fetchBranch(git));
}
