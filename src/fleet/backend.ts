import type { FleetLogger } from './logger.js';
import type { Project, ProjectCheck } from './projects.js';
import type { LeftoverCommit } from './review/autocommit.js';
import type { CleanupResult } from './review/branch-cleanup.js';
import type { BranchVerdict } from './review/branch-delete.js';
import type { AgentChanges, NotGitChanges } from './review/changes.js';
import type { UnlandedWork } from './review/delete-safety.js';
import type { MergeResult, MergeStrategy } from './review/merge.js';
import type { ReattachOptions, RunOptions, RunningProcess } from './tasks/runner.js';
import type { AgentRecord, Store } from './store.js';
import type { Agent, AgentBase, LogStream, TaskRecord } from './types.js';

/** Where an agent works. */
export interface Workspace {
  workdir: string;
  /** `fleet/<name>` in a git project, null otherwise. */
  branch: string | null;
  git: AgentRecord['git'];
  /** A worktree made just now (not found again), which the project's setup has not seen. */
  created: boolean;
  /** Its branch holds an agent's work (kept from an earlier agent of its name, or its own), not only its base. */
  agentWork: boolean;
}

/**
 * The agent's git dirs for a role's placeholders (its own repository's; `git_common_dir` is the same dir), the
 * user's repository whose objects it reads, and its branch head as a task starts; null outside git.
 */
export interface GitContext {
  git_dir: string | null;
  git_common_dir: string | null;
  source_git_dir: string | null;
  head: string | null;
}

export type TaskChanges = Pick<TaskRecord, 'commits' | 'files_changed' | 'uncommitted_changes'>;

/** Why a workspace could not be made, in words for the caller (e.g. git's own error). */
export class WorkspaceError extends Error {
  override name = 'WorkspaceError';

  /** @param output what the caller needs to see after the reason, e.g. a failed setup command's last lines */
  constructor(
    message: string,
    readonly output: string | null = null,
  ) {
    super(message);
  }
}

/**
 * What the fleet needs from the place agents run: today local processes in git worktrees on this host
 * (src/fleet/backends/local); agents on an engine keep their repository here too, and their tasks are followed by
 * src/fleet/backends/remote.
 */
export interface FleetBackend {
  /**
   * The commit a new agent of the project starts from: `requested`, else the project's own base, else the main
   * checkout's HEAD branch; null outside git. Throws FleetError for a base that is not there or not allowed.
   */
  resolveBase(project: Project, requested: string | undefined): Promise<AgentBase | null>;
  /**
   * Makes the agent's working directory (a new branch starting at `base`), or finds it again. Throws
   * WorkspaceError when it cannot.
   */
  prepareWorkspace(
    agent: Pick<Agent, 'name' | 'backend'>,
    project: Project,
    base: AgentBase | null,
  ): Promise<Workspace>;
  /**
   * Runs the project's worktree setup in the agent's new worktree (copies, then the command), its output going to
   * `onLine`. Throws WorkspaceError, with the command's last output lines, when it fails.
   */
  setupWorkspace(
    record: AgentRecord,
    project: Project,
    env: Record<string, string>,
    onLine: (stream: LogStream, text: string) => void,
    options: { agentWork: boolean },
  ): Promise<void>;
  /**
   * Removes the agent's working directory and state, and its branch when the branch's work is in its base;
   * says what happened to its files and its branch.
   */
  forgetAgent(store: Store, key: string, record: AgentRecord, logger: FleetLogger): Promise<ForgetOutcome>;
  /** Read as a task starts. */
  gitContext(record: AgentRecord): Promise<GitContext>;
  /** What the task that started at `head` added to the agent's branch and left in its worktree. */
  taskChanges(record: AgentRecord, head: string | null): Promise<TaskChanges>;
  /** The agent's changes against its base, one page of diff; what cannot be shown outside git. */
  agentChanges(record: AgentRecord, request: ChangesRequest): Promise<AgentChanges | NotGitChanges>;
  /** The commit of the agent's branch, fetched from where it works; null outside git. */
  branchCommit(record: AgentRecord): Promise<string | null>;
  /** Commits what the agent left uncommitted on its branch; null when nothing was left or outside git. */
  commitLeftovers(record: AgentRecord, message: string): Promise<LeftoverCommit | null>;
  /** What deleting the agent would lose; null outside git. */
  unlandedWork(record: AgentRecord): Promise<UnlandedWork | null>;
  /** Lands the agent's branch on `target` (default: its base branch). */
  mergeAgent(record: AgentRecord, request: MergeRequest): Promise<MergeResult>;
  /** Deletes `fleet/*` branches of the project's repository whose agents are gone and whose work is in `into`. */
  cleanupBranches(
    project: Project,
    request: { liveBranches: string[]; into?: string },
  ): Promise<CleanupResult & { into: string }>;
  /** Starts one task's process. */
  startProcess(options: RunOptions): Promise<RunningProcess>;
  /** Follows again a task's process that a previous server started. */
  reattachProcess(options: ReattachOptions): RunningProcess;
}

export interface ForgetOutcome {
  /** A sentence: what happened to the working directory, and to the branch. */
  summary: string;
  /** What became of the branch; null outside git. */
  branch: BranchVerdict | null;
}

export interface ChangesRequest {
  /** A git pathspec relative to the repository root; default: the project's folder inside the repository. */
  path?: string;
  diffOffset?: number;
  diffLimitBytes?: number;
}

export interface MergeRequest {
  target?: string;
  /** The project's check, run in the agent's place first: a failing one refuses the merge. */
  check?: ProjectCheck;
  strategy: MergeStrategy;
  message: string;
}
