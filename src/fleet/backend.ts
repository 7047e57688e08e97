import type { FleetLogger } from './logger.js';
import type { Project } from './projects.js';
import type { ReattachOptions, RunOptions, RunningProcess } from './runner.js';
import type { AgentRecord, Store } from './store.js';
import type { TaskRecord } from './types.js';

/** Where an agent works. */
export interface Workspace {
  workdir: string;
  /** `fleet/<name>` in a git project, null otherwise. */
  branch: string | null;
  git: AgentRecord['git'];
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
}

/**
 * What the fleet needs from the place agents run: today local processes in git worktrees on this host
 * (src/fleet/local); containers or remote hosts would implement the same seam.
 */
export interface FleetBackend {
  /** Makes the agent's working directory, or finds it again. Throws WorkspaceError when it cannot. */
  prepareWorkspace(agentName: string, project: Project): Promise<Workspace>;
  /** Removes the agent's working directory and state; returns a sentence saying what happened to its files. */
  forgetAgent(store: Store, key: string, record: AgentRecord, logger: FleetLogger): Promise<string>;
  /** Read as a task starts. */
  gitContext(record: AgentRecord): Promise<GitContext>;
  /** What the task that started at `head` added to the agent's branch and left in its worktree. */
  taskChanges(record: AgentRecord, head: string | null): Promise<TaskChanges>;
  /** Starts one task's process. */
  startProcess(options: RunOptions): RunningProcess;
  /** Follows again a task's process that a previous server started. */
  reattachProcess(options: ReattachOptions): RunningProcess;
}
