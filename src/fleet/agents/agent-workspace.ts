import { timestamp, type AgentRegistry } from './agent-registry.js';
import { WorkspaceError, type FleetBackend } from '../backend.js';
import type { Project } from '../projects.js';
import type { AgentRecord, Store } from '../store.js';
import { appendToTaskLogFile } from '../logs/task-log.js';
import type { LogStream } from '../types.js';

export interface WorkspaceDeps {
  registry: AgentRegistry;
  store: Store;
  backend: FleetBackend;
  /** The environment of the agent's role, for the project's setup command. */
  env: (record: AgentRecord) => Record<string, string>;
}

/**
 * Makes the agent's working directory and runs the project's worktree setup in a new worktree, and again until it
 * has once succeeded there (its output in the log of the agent's latest task). A failure marks the agent failed and
 * tells the caller why; the task it was to run ends failed, never started, and keeps its text for restart_agent.
 */
export async function prepareWorkspace(
  deps: WorkspaceDeps,
  key: string,
  record: AgentRecord,
  project: Project,
): Promise<void> {
  const { registry, store, backend } = deps;
  registry.setStatus(key, record, 'starting', null);
  try {
    // An agent whose worktree was never made (an empty repository) takes the project's default base once there is one.
    if (!record.agent.base && !record.agent.branch) record.agent.base = await backend.resolveBase(project, undefined);
    const workspace = await backend.prepareWorkspace(record.agent, project, record.agent.base ?? null);
    record.agent.workdir = workspace.workdir;
    record.agent.branch = workspace.branch;
    record.git = workspace.git;
    // A worktree made again (its directory was gone) lacks what the setup gave the first one.
    if (workspace.created && project.setup) record.setup_pending = true;
    if (record.setup_pending) {
      const onLine = (stream: LogStream, text: string) => logBeforeTask(store, key, record, stream, text);
      await backend.setupWorkspace(record, project, deps.env(record), onLine, { agentWork: workspace.agentWork });
      record.setup_pending = false;
    }
  } catch (error) {
    if (!(error instanceof WorkspaceError)) throw error;
    const waiting = record.tasks.find((task) => task.status === 'queued');
    if (!waiting) deps.registry.fail(key, record, error.message, error.output);
    Object.assign(waiting, {
      status: 'failed',
      outcome: 'not_started',
      reason: `not started: ${error.message}`,
      ended_at: timestamp(),
    });
    record.agent.current_task_id = null;
    deps.registry.fail(
      key,
      record,
      `${error.message}. Its task was not started; its text is kept and restart_agent runs it`,
      error.output,
    );
  }
  store.save(key);
}

/** A line in the log of the agent's latest task, written while no process of it runs (worktree setup). */
function logBeforeTask(store: Store, key: string, record: AgentRecord, stream: LogStream, text: string): void {
  const task = record.tasks.at(-1);
  if (!task) return;
  appendToTaskLogFile(store.logFile(key, task.id), { time: timestamp(), stream, text, task_id: task.id });
  task.log_lines += 1;
}
