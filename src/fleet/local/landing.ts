import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { ChangesRequest, FleetBackend, ForgetOutcome, MergeRequest } from '../backend.js';
import { FleetError } from '../errors.js';
import { forgetAgent } from '../forget.js';
import type { KeyedLock } from '../keyed-lock.js';
import type { FleetLogger } from '../logger.js';
import type { Project } from '../projects.js';
import { commitLeftovers } from '../review/autocommit.js';
import { resolveBase } from '../review/base.js';
import { cleanupFleetBranches } from '../review/branch-cleanup.js';
import type { BranchVerdict } from '../review/branch-delete.js';
import { agentChanges, notGitChanges } from '../review/changes.js';
import { deleteBranchIfMerged, unlandedWork } from '../review/delete-safety.js';
import { mergeAgentBranch } from '../review/merge.js';
import type { AgentRecord, Store } from '../store.js';
import type { AgentBase } from '../types.js';
import { findRepo } from '../worktrees.js';
import { repoLockKey } from './workspaces.js';

type Landing = Pick<FleetBackend, 'forgetAgent' | 'agentChanges' | 'commitLeftovers' | 'unlandedWork' | 'mergeAgent' | 'cleanupBranches'>;

interface AgentGit {
  repoRoot: string;
  worktree: string;
  branch: string;
  base: AgentBase;
}

/**
 * Seeing, landing and removing an agent's work in the host's repository. Whatever moves or deletes a ref runs under
 * the repository's lock, the one `git worktree add/remove` take, so two of them never race on one repository.
 */
export function createLocalLanding(repoLocks: KeyedLock): Landing {
  const underRepoLock = async <T>(repoRoot: string, operation: () => Promise<T>): Promise<T> =>
    repoLocks.run(await repoLockKey(repoRoot), operation);

  return {
    forgetAgent: async (store, key, record, logger) => {
      // A repository git can no longer read still lets the agent go; only its branch is then left alone.
      const git = await agentGit(record).catch(() => null);
      if (git === null) return { summary: await forgetAgent(store, key, record, logger), branch: null };
      return underRepoLock(git.repoRoot, () => forgetWithBranch(git, { store, key, record, logger }));
    },
    agentChanges: async (record, request) => {
      const git = await agentGit(record);
      if (git === null) return notGitChanges(record.agent.workdir);
      return agentChanges({ ...git, pathFilter: pathFilter(record, request), diffOffset: request.diffOffset, diffLimitBytes: request.diffLimitBytes });
    },
    commitLeftovers: async (record, message) => {
      if (!record.git || !existsSync(record.git.worktree)) return null;
      return commitLeftovers({ worktree: record.git.worktree, message });
    },
    unlandedWork: async (record) => {
      const git = await agentGit(record);
      return git === null ? null : unlandedWork(git);
    },
    mergeAgent: async (record, request: MergeRequest) => {
      const git = await agentGit(record);
      if (git === null) throw notGit(record, 'merge');
      const target = request.target ?? baseBranch(record, git.base);
      return underRepoLock(git.repoRoot, () =>
        mergeAgentBranch({ repoRoot: git.repoRoot, branch: git.branch, target, strategy: request.strategy, message: request.message }),
      );
    },
    cleanupBranches: async (project: Project, request) => {
      const repo = await findRepo(project.path);
      if (repo === null) throw new FleetError('invalid_argument', `project "${project.name}" is not in a git repository, so it has no fleet/* branches`);
      const into = request.into ?? (await resolveBase({ repoRoot: repo.root })).name;
      const result = await underRepoLock(repo.root, () =>
        cleanupFleetBranches({ repoRoot: repo.root, liveAgentBranches: request.liveBranches, into }),
      );
      return { into, ...result };
    },
  };
}

/** The agent's repository, worktree, branch and base; null for an agent outside git. */
async function agentGit(record: AgentRecord): Promise<AgentGit | null> {
  if (!record.git || !record.agent.branch) return null;
  const { repo_root: repoRoot, worktree } = record.git;
  // An agent made before bases were recorded is measured against the checkout's current HEAD.
  const base = record.agent.base ?? (await resolveBase({ repoRoot }));
  return { repoRoot, worktree, branch: record.agent.branch, base: { ref: base.ref, commit: base.commit } };
}

/** The folder of a project inside its repository is the default path filter, so a sub-folder project shows its own. */
function pathFilter(record: AgentRecord, request: ChangesRequest): string[] | undefined {
  if (request.path !== undefined) return [request.path];
  const prefix = record.git ? relative(record.git.worktree, record.agent.workdir) : '';
  return prefix === '' ? undefined : [prefix];
}

function baseBranch(record: AgentRecord, base: AgentBase): string {
  if (base.ref.startsWith('refs/heads/')) return base.ref.slice('refs/heads/'.length);
  throw new FleetError(
    'invalid_argument',
    `agent "${record.agent.name}" started from ${base.ref}, which is not a branch: give target, the branch to merge into`,
  );
}

function notGit(record: AgentRecord, what: string): FleetError {
  return new FleetError(
    'invalid_argument',
    `agent "${record.agent.name}" works in ${record.agent.workdir}, which is not a git repository: there is no branch to ${what}`,
  );
}

interface ForgetParts {
  store: Store;
  key: string;
  record: AgentRecord;
  logger: FleetLogger;
}

/** Removes the worktree, then deletes the branch only when its work is in the agent's base (else keeps and names it). */
async function forgetWithBranch(git: AgentGit, parts: ForgetParts): Promise<ForgetOutcome> {
  const files = await forgetAgent(parts.store, parts.key, parts.record, parts.logger);
  const verdict = await deleteBranchIfMerged({ repoRoot: git.repoRoot, branch: git.branch, into: git.base.ref }).catch(
    (error: unknown): BranchVerdict => ({ branch: git.branch, deleted: false, reason: `git could not check it: ${(error as Error).message}` }),
  );
  return { summary: `${files}; ${branchSentence(verdict, shortRef(git.base.ref))}`, branch: verdict };
}

function branchSentence(verdict: BranchVerdict, into: string): string {
  if (verdict.deleted) return `branch ${verdict.branch} deleted, its work being in ${into}`;
  if (verdict.reason === 'no such branch') return `branch ${verdict.branch} was already gone`;
  return `branch ${verdict.branch} kept (${verdict.reason})`;
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags|remotes)\//, '');
}
