import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { ChangesRequest, FleetBackend, ForgetOutcome, MergeRequest } from '../../backend.js';
import { FleetError } from '../../errors.js';
import { forgetAgent } from '../../agents/forget.js';
import type { KeyedLock } from '../../keyed-lock.js';
import type { FleetLogger } from '../../logger.js';
import type { Project, ProjectCheck } from '../../projects.js';
import { commitLeftovers, type LeftoverCommit } from '../../review/autocommit.js';
import { resolveBase } from '../../review/base.js';
import { cleanupFleetBranches } from '../../review/branch-cleanup.js';
import type { BranchVerdict } from '../../review/branch-delete.js';
import { agentChanges, notGitChanges } from '../../review/changes.js';
import { deleteBranchIfMerged, unlandedWork } from '../../review/delete-safety.js';
import { git as gitOut, runGit, splitNul } from '../../review/git.js';
import { mergeAgentBranch } from '../../review/merge.js';
import { hasUncommitted, uncommittedFiles } from '../../review/status.js';
import { runSetupCommand } from '../../review/worktree-setup.js';
import { branchRef, commitOf } from '../../review/refs.js';
import type { AgentRecord, Store } from '../../store.js';
import type { AgentBase } from '../../types.js';
import { findRepo } from '../../repo/find-repo.js';
import { fetchBranch, fetchBranchLocked, openAgentGit, type AgentGit, type PlaceOf } from './agent-git.js';
import { repoLockKey } from './workspaces.js';

type Landing = Pick<
  FleetBackend,
  | 'forgetAgent'
  | 'agentChanges'
  | 'branchCommit'
  | 'commitLeftovers'
  | 'unlandedWork'
  | 'mergeAgent'
  | 'cleanupBranches'
>;

/**
 * Seeing, landing and removing an agent's work. The agent's repository is read only in the agent's place and its
 * work comes into the user's repository only by fetching its branch; whatever moves or deletes a ref of the user's
 * repository runs under that repository's lock, so two of them never race.
 */
export function createLocalLanding(repoLocks: KeyedLock, placeOf: PlaceOf): Landing {
  const underRepoLock = async <T>(repoRoot: string, operation: () => Promise<T>): Promise<T> =>
    repoLocks.run(await repoLockKey(repoRoot), operation);
  const fetched = (git: AgentGit) => fetchBranchLocked(git, repoLocks);
  // An agent whose repository is gone has only what was fetched before.
  const latest = (git: AgentGit) =>
    existsSync(git.repo) ? fetched(git) : commitOf(git.repoRoot, branchRef(git.branch));

  return {
    forgetAgent: async (store, key, record, logger) => {
      // A repository git can no longer read still lets the agent go; only its branch is then left alone.
      const git = await openAgentGit(record, placeOf).catch(() => null);
      if (git === null) return { summary: await forgetAgent(store, key, record, logger), branch: null };
      return underRepoLock(git.repoRoot, () => forgetWithBranch(git, { store, key, record, logger }));
    },
    agentChanges: async (record, request) => {
      const git = await openAgentGit(record, placeOf);
      if (git === null) return notGitChanges(record.agent.workdir);
      await latest(git);
      const options = {
        repoRoot: git.repoRoot,
        worktree: git.worktree,
        branch: git.branch,
        base: git.base,
        place: git.place,
      };
      return agentChanges({
        ...options,
        pathFilter: pathFilter(record, request),
        diffOffset: request.diffOffset,
        diffLimitBytes: request.diffLimitBytes,
      });
    },
    branchCommit: async (record) => {
      const git = await openAgentGit(record, placeOf);
      return git === null ? null : latest(git);
    },
    commitLeftovers: async (record, message) => {
      const git = await openAgentGit(record, placeOf);
      if (git === null || git.worktree === null || !existsSync(git.worktree)) return null;
      if (
        !(await commitLeftovers({
          agentName: git.agentName,
          repo: git.repo,
          branch: git.branch,
          message,
          place: git.place,
        }))
      )
        return null;
      return leftoverCommit(git.repoRoot, await fetched(git));
    },
    unlandedWork: async (record) => {
      const git = await openAgentGit(record, placeOf);
      if (git === null) return null;
      await latest(git);
      return unlandedWork({
        repoRoot: git.repoRoot,
        worktree: git.worktree,
        branch: git.branch,
        base: git.base,
        place: git.place,
      });
    },
    mergeAgent: async (record, request: MergeRequest) => {
      const git = await openAgentGit(record, placeOf);
      if (git === null) throw notGit(record, 'merge');
      const target = request.target ?? baseBranch(record, git.base);
      const failed = request.check ? await checkFailure(record, git, request.check, await latest(git)) : null;
      if (failed !== null)
        return {
          strategy: request.strategy,
          target,
          branch: git.branch,
          outcome: 'refused',
          reason: failed,
          files: [],
        };
      return underRepoLock(git.repoRoot, async () => {
        if (existsSync(git.repo)) await fetchBranch(git);
        return mergeAgentBranch({
          repoRoot: git.repoRoot,
          branch: git.branch,
          target,
          strategy: request.strategy,
          message: request.message,
        });
      });
    },
    cleanupBranches: async (project: Project, request) => {
      const repo = await findRepo(project.path);
      if (repo === null)
        throw new FleetError(
          'invalid_argument',
          `project "${project.name}" is not in a git repository, so it has no fleet/* branches`,
        );
      const into = request.into ?? (await resolveBase({ repoRoot: repo.root })).name;
      const result = await underRepoLock(repo.root, () =>
        cleanupFleetBranches({ repoRoot: repo.root, liveAgentBranches: request.liveBranches, into }),
      );
      return { into, ...result };
    },
  };
}

/** Output lines of a failed check quoted in the refusal: enough to see why, not a flood. */
const QUOTED_CHECK_LINES = 20;

/**
 * Runs the project's check (what its own hooks would have checked, which fleet-mcp never runs) in the agent's
 * working directory and place; why it failed, with its last output, or null when it passed.
 */
async function checkFailure(
  record: AgentRecord,
  git: AgentGit,
  check: ProjectCheck,
  tip: string | null,
): Promise<string | null> {
  const elsewhere = await checkoutProblem(git, tip);
  if (elsewhere !== null)
    return `the project's check runs on what would be merged, and ${elsewhere}, so nothing was merged`;
  const result = await runSetupCommand({
    argv: check.command,
    cwd: record.agent.workdir,
    timeoutMs: check.timeout_ms,
    place: git.place,
    what: "the project's check",
  });
  if (result.ok) return null;
  const tail = result.lines.slice(-QUOTED_CHECK_LINES);
  return `${result.message}, so nothing was merged${tail.length > 0 ? `; its last output:\n${tail.join('\n')}` : ''}`;
}

/** Why the agent's checkout is not exactly the branch that would be merged, or null when it is. */
async function checkoutProblem(git: AgentGit, tip: string | null): Promise<string | null> {
  if (git.worktree === null)
    return `agent "${git.agentName}" works on an engine, with no checkout on this host to run it in`;
  if (!existsSync(git.repo)) return `the agent's repository ${git.repo} is gone`;
  const { place } = git;
  const head = (
    await runGit(git.repo, ['symbolic-ref', '--quiet', 'HEAD'], { okCodes: [1, 128], place })
  ).stdout.trim();
  const at = (
    await runGit(git.repo, ['rev-parse', '--verify', '--quiet', 'HEAD'], { okCodes: [1, 128], place })
  ).stdout.trim();
  if (head !== `refs/heads/${git.branch}` || at !== tip)
    return `agent "${git.agentName}" has ${head || 'a detached HEAD'} at ${at || 'no commit'} checked out, not ${git.branch} at ${tip}`;
  if (hasUncommitted(await uncommittedFiles(git.repo, { place })))
    return `agent "${git.agentName}" has uncommitted changes`;
  return null;
}

/** The leftovers commit as the user's repository has it, once fetched: never as the agent's repository tells it. */
async function leftoverCommit(repoRoot: string, sha: string): Promise<LeftoverCommit> {
  const subject = await gitOut(repoRoot, ['log', '-1', '--format=%s', sha]);
  const files = splitNul(
    await gitOut(repoRoot, ['diff-tree', '--root', '--no-commit-id', '--name-only', '-r', '-z', '--no-renames', sha]),
  );
  return { sha, subject, files };
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

/** Removes the agent's repository, then deletes its branch only when its work is in the agent's base (else keeps and names it). */
async function forgetWithBranch(git: AgentGit, parts: ForgetParts): Promise<ForgetOutcome> {
  const files = await forgetAgent(parts.store, parts.key, parts.record, parts.logger);
  const verdict = await deleteBranchIfMerged({ repoRoot: git.repoRoot, branch: git.branch, into: git.base.ref }).catch(
    (error: unknown): BranchVerdict => ({
      branch: git.branch,
      deleted: false,
      reason: `git could not check it: ${(error as Error).message}`,
    }),
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
