import type { FleetLogger } from './logger.js';
import type { Project } from './projects.js';
import type { RunOptions, RunningProcess } from './runner.js';
import type { AgentRecord, Store } from './store.js';
import type { AgentBase, LogStream, TaskRecord } from './types.js';

/** Where an agent works. */
export interface Workspace {
  workdir: string;
  /** `fleet/<name>` in a git project, null otherwise. */
  branch: string | null;
  git: AgentRecord['git'];
  /** A worktree made just now (not found again), which the project's setup has not seen. */
  created: boolean;
}

/** The agent's git dirs for a role's placeholders, and its branch head as a task starts; null outside git. */
export interface GitContext {
  git_dir: string | null;
  git_common_dir: string | null;
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
 * (src/fleet/local); containers or remote hosts would implement the same seam.
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
  prepareWorkspace(agentName: string, project: Project, base: AgentBase | null): Promise<Workspace>;
  /**
   * Runs the project's worktree setup in the agent's new worktree (copies, then the command), its output going to
   * `onLine`. Throws WorkspaceError, with the command's last output lines, when it fails.
   */
  setupWorkspace(record: AgentRecord, project: Project, env: Record<string, string>, onLine: (stream: LogStream, text: string) => void): Promise<void>;
  /** Removes the agent's working directory and state; returns a sentence saying what happened to its files. */
  forgetAgent(store: Store, key: string, record: AgentRecord, logger: FleetLogger): Promise<string>;
  /** Read as a task starts. */
  gitContext(record: AgentRecord): Promise<GitContext>;
  /** What the task that started at `head` added to the agent's branch and left in its worktree. */
  taskChanges(record: AgentRecord, head: string | null): Promise<TaskChanges>;
  /** Starts one task's process. */
  startProcess(options: RunOptions): RunningProcess;
}
