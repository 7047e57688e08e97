import { existsSync, mkdirSync } from 'node:fs';
import { AgentRegistry, timestamp, type AgentChange } from './agent-registry.js';
import { waitUntilSettled } from './agent-waits.js';
import { WorkspaceError, type ChangesRequest, type FleetBackend } from './backend.js';
import { Catalog } from './catalog.js';
import { childEnv } from './child-env.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { FleetError } from './errors.js';
import { KeyedLock } from './keyed-lock.js';
import { defaultMergeMessage, deleteRefusal, preMergeLeftoversMessage } from './landing-rules.js';
import { createFleetLauncher, type SandboxSettings } from './launch/fleet-launcher.js';
import { createLocalBackend } from './local/local-backend.js';
import { logPage } from './log-pages.js';
import { silentLogger, type FleetLogger } from './logger.js';
import { agentKey, assertValidAgentName } from './names.js';
import type { Project } from './projects.js';
import { pageWindow, toPage, type PageRequest } from './pagination.js';
import { recoverState, type ResumableTask } from './recovery.js';
import type { CleanupResult } from './review/branch-cleanup.js';
import type { AgentChanges, NotGitChanges } from './review/changes.js';
import type { UnlandedWork } from './review/delete-safety.js';
import type { MergeResult, MergeStrategy } from './review/merge.js';
import { unprotectedTaskRoles } from './roles.js';
import { Store, type AgentRecord } from './store.js';
import { appendToTaskLogFile } from './task-log.js';
import { installSupervisor, supervisorArgv } from './supervisor/script.js';
import { assertTaskText } from './task-text.js';
import { TaskQueue } from './task-queue.js';
import { newTask, TaskRuns, UNSET_TASK_FIELDS } from './task-runs.js';
import { AGENT_STATUSES, type Agent, type AgentBase, type AgentStatus, type LogLine, type LogStream, type Page, type Role, type TaskRecord } from './types.js';

export { MAX_TASK_CHARS } from './task-text.js';
export type { AgentChange } from './agent-registry.js';

export interface FleetOptions {
  dataDir: string;
  projects: Project[];
  roles: Role[];
  /** How many agents may run a task at the same time. */
  maxBusy: number;
  /** How many agents may exist at once (deleted ones do not count); create_agent is refused past it. Default 100. */
  maxAgents?: number;
  /** The server's environment; agents get it minus the server's own variables. */
  baseEnv: NodeJS.ProcessEnv;
  logger?: FleetLogger;
  /** After SIGINT, the wait before SIGTERM; SIGKILL follows after twice this. Default 5000 ms. */
  cancelGraceMs?: number;
  /** Log size kept per task; the oldest lines go first. Default 10 MB. */
  logCapBytes?: number;
  /**
   * Whether shutdown() cancels running tasks. By default they run on, and the next server on this data dir follows
   * them again and records how they ended.
   */
  stopAgentsOnShutdown?: boolean;
  /** How long to wait for another server to let go of the data dir. Default 5000 ms. */
  lockWaitMs?: number;
  sandbox?: SandboxSettings;
}

/** An agent with what a caller usually wants next: how many tasks it ran and the latest one. */
export interface AgentDetails extends Agent {
  task_count: number;
  last_task: TaskRecord | null;
}

export interface WaitResult {
  agent: AgentDetails;
  /** True when the wait ended because the timeout passed while the agent was still busy. */
  timed_out: boolean;
}

export interface CreateAgentInput {
  name: string;
  project: string;
  task: string;
  role?: string;
  /** Who asks: the name of the caller's token, kept on the agent and its first task. */
  by?: string;
  /** Branch, tag or commit the agent's branch starts from (git projects); default: the project's base, else the main checkout's HEAD branch. */
  base?: string;
}

export interface StartTaskOptions {
  /** Start a new conversation instead of continuing the agent's previous one. */
  freshConversation?: boolean;
  /** Who asks: the name of the caller's token, kept on the task. */
  by?: string;
}

/** A deleted agent, with what became of its branch. */
export interface DeletedAgent extends Agent {
  /** The branch was deleted (its work is in the agent's base) or kept, with why; null outside git. */
  branch_outcome: { branch: string; deleted: boolean; reason: string | null } | null;
  /** With force: what deleting would have lost when the delete was not forced; null when nothing. */
  forced_past: string | null;
}

export interface MergeAgentRequest {
  target?: string;
  strategy: MergeStrategy;
  message?: string;
}

export type MergeAgentResult = MergeResult & {
  agent: string;
  /** What the agent had left uncommitted, committed on its branch before merging; null when nothing was. */
  leftovers_committed: { sha: string; files: string[] } | null;
};

export type CleanupBranchesResult = CleanupResult & { project: string; into: string };

export interface ListAgentsFilter {
  status?: string;
  project?: string;
}

export const DEFAULT_MAX_AGENTS = 100;

export const TASK_HISTORY_PAGES = { defaultSize: 20, maxSize: 100 } as const;
export const AGENT_LOG_PAGES = { defaultSize: 50, maxSize: 500 } as const;

export interface Fleet {
  listProjects(): Project[];
  listRoles(project: string): Role[];
  createAgent(input: CreateAgentInput): Promise<AgentDetails>;
  listAgents(filter?: ListAgentsFilter): Agent[];
  showAgent(name: string): AgentDetails;
  startTask(name: string, description: string, options?: StartTaskOptions): Promise<AgentDetails>;
  cancelTask(name: string): Promise<AgentDetails>;
  restartAgent(name: string, by?: string): Promise<AgentDetails>;
  deleteAgent(name: string, options?: { force?: boolean }): Promise<DeletedAgent>;
  agentChanges(name: string, request?: ChangesRequest): Promise<(AgentChanges | NotGitChanges) & { agent: string }>;
  mergeAgent(name: string, request: MergeAgentRequest): Promise<MergeAgentResult>;
  cleanupBranches(project: string, into?: string): Promise<CleanupBranchesResult>;
  taskHistory(name: string, request?: PageRequest): Page<TaskRecord>;
  agentLog(name: string, request?: PageRequest): Page<LogLine>;
  waitForAgent(name: string, timeoutMs: number): Promise<WaitResult>;
  /** Hears every change of any agent's record or log (keyed by agentKey), until the returned function is called. */
  onChange(listener: (change: AgentChange) => void): () => void;
  /**
   * Puts new projects and roles in force; throws (and keeps the old ones) when they do not fit together. Running
   * tasks keep the role they started with; an agent whose role or project is gone is told so by the calls that need it.
   */
  reloadConfig(projects: Project[], roles: Role[]): void;
  shutdown(): Promise<void>;
}

/**
 * Opens the fleet on its data dir: loads the state of the previous run, settles what that run left behind and
 * follows again the tasks it left running, then serves the tool operations.
 */
export async function createFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.maxBusy) || options.maxBusy < 1) {
    throw new FleetError('invalid_argument', `maxBusy must be a whole number of at least 1 (got ${options.maxBusy}).`);
  }
  const catalog = new Catalog(options.projects, options.roles);
  const logger = options.logger ?? silentLogger;
  for (const role of unprotectedTaskRoles(options.roles)) {
    logger.warn(
      { role: role.name, command: role.command },
      'a task text starting with "-" reaches this role\'s command as an option: put "--" before {task} or write --flag={task}',
    );
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(options.dataDir, { waitMs: options.lockWaitMs });
  try {
    const store = Store.open(options.dataDir, logger);
    const supervisor = supervisorArgv(installSupervisor(options.dataDir));
    const resumable = await recoverState(store, logger);
    return new FleetService({ options, catalog, store, logger, lock, backend: createLocalBackend(store), supervisor, resumable });
  } catch (error) {
    lock.release();
    throw error;
  }
}

interface FleetParts {
  options: FleetOptions;
  catalog: Catalog;
  store: Store;
  logger: FleetLogger;
  lock: DataDirLock;
  backend: FleetBackend;
  supervisor: string[];
  /** Tasks the previous server left running, followed again from the start. */
  resumable: ResumableTask[];
}

/** The tool operations: rules about who may do what when, over the registry, the task runs, the queue and the backend. */
class FleetService implements Fleet {
  private readonly registry: AgentRegistry;
  private readonly runs: TaskRuns;
  private readonly queue: TaskQueue;
  private readonly agentLocks = new KeyedLock();
  private shuttingDown = false;

  constructor(private readonly parts: FleetParts) {
    const { options, store, logger, backend } = parts;
    this.registry = new AgentRegistry(store, logger);
    const cancelGraceMs = options.cancelGraceMs ?? 5000;
    this.runs = new TaskRuns({
      registry: this.registry,
      backend,
      logger,
      baseEnv: options.baseEnv,
      cancelGraceMs,
      endGraceMs: cancelGraceMs,
      logCapBytes: options.logCapBytes,
      supervisor: parts.supervisor,
      launcher: createFleetLauncher(options),
      projectOf: (name) => this.parts.catalog.projects.find((project) => project.name === name),
      onEnded: (key) => this.queue.release(key),
    });
    this.queue = new TaskQueue({
      maxBusy: options.maxBusy,
      registry: this.registry,
      runs: this.runs,
      agentLocks: this.agentLocks,
      logger,
      isShuttingDown: () => this.shuttingDown,
    });
    for (const { key, record, task } of parts.resumable) {
      this.queue.adopt(key, task);
      this.runs.reattach(key, record, task);
    }
  }

  listProjects(): Project[] {
    return this.parts.catalog.projects.map((project) => ({ ...project }));
  }

  listRoles(projectName: string): Role[] {
    return this.parts.catalog.rolesOf(projectName);
  }

  async createAgent(input: CreateAgentInput): Promise<AgentDetails> {
    this.assertOpen();
    assertValidAgentName(input.name);
    const key = agentKey(input.name);
    this.assertNameFree(key);
    this.assertRoomForAgent();
    const project = this.parts.catalog.project(input.project);
    const role = this.parts.catalog.roleFor(project, input.role);
    assertTaskText(input.task);
    // A base that is not there is refused before the agent exists, so nothing is left to clean up.
    const base = await this.parts.backend.resolveBase(project, input.base);
    // Checked again: another create may have taken the name or the last place while the base was looked up.
    this.assertNameFree(key);
    this.assertRoomForAgent();
    const record = newAgentRecord(input.name, project, role, base, input.by ?? null);
    // The task is recorded before anything can fail, so its text is kept for restart_agent whatever happens next.
    const task = this.addTask(record, input.task, { by: input.by });
    this.parts.store.put(key, record);
    return this.agentLocks.run(key, async () => {
      await this.prepareWorkspace(key, record, project);
      await this.submit(key, record, role, task);
      return this.details(record);
    });
  }

  listAgents(filter: ListAgentsFilter = {}): Agent[] {
    const status = filter.status === undefined ? undefined : parseStatus(filter.status);
    const project = filter.project === undefined ? undefined : this.parts.catalog.project(filter.project).name;
    return this.registry
      .all()
      .map((record) => record.agent)
      .filter((agent) => (status === undefined || agent.status === status) && (project === undefined || agent.project === project))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((agent) => ({ ...agent }));
  }

  showAgent(name: string): AgentDetails {
    return this.details(this.registry.get(name));
  }

  async startTask(name: string, description: string, options: StartTaskOptions = {}): Promise<AgentDetails> {
    this.assertOpen();
    assertTaskText(description);
    const key = agentKey(this.registry.get(name).agent.name);
    return this.agentLocks.run(key, async () => {
      const record = this.registry.get(name);
      this.assertIdle(key, record);
      const role = this.parts.catalog.agentRole(record.agent);
      await this.submit(key, record, role, this.addTask(record, description, { freshConversation: options.freshConversation, by: options.by }));
      return this.details(record);
    });
  }

  async cancelTask(name: string): Promise<AgentDetails> {
    const key = agentKey(this.registry.get(name).agent.name);
    return this.agentLocks.run(key, async () => {
      const record = this.registry.get(name);
      if (this.queue.cancelQueued(key, record, 'canceled by request')) return this.details(record);
      if (!this.runs.active(key)) {
        throw new FleetError(
          'conflict',
          `Agent "${record.agent.name}" has no running or queued task to cancel (status: ${record.agent.status}). ${lastTaskSummary(record)}`,
        );
      }
      await this.runs.stop(key, record, 'canceled by request');
      return this.details(record);
    });
  }

  async restartAgent(name: string, by?: string): Promise<AgentDetails> {
    this.assertOpen();
    const key = agentKey(this.registry.get(name).agent.name);
    return this.agentLocks.run(key, async () => {
      const record = this.registry.get(name);
      this.queue.cancelQueued(key, record, 'canceled by restart_agent');
      await this.runs.stop(key, record, 'canceled by restart_agent');
      if (record.agent.status === 'failed' || !existsSync(record.agent.workdir)) {
        await this.prepareWorkspace(key, record, this.parts.catalog.project(record.agent.project));
      }
      this.registry.setStatus(key, record, 'idle', null);
      const last = record.tasks.at(-1);
      if (last && last.status === 'failed' && last.started_at === null) {
        const again = this.addTask(record, last.description, { freshConversation: last.fresh_conversation, by });
        await this.submit(key, record, this.parts.catalog.agentRole(record.agent), again);
      }
      return this.details(record);
    });
  }

  /**
   * Refuses, unless forced, while the agent has uncommitted files or commits not in its base; checked before anything
   * is stopped, so a refusal changes nothing. A task the delete cancels still gets its leftovers committed.
   */
  async deleteAgent(name: string, options: { force?: boolean } = {}): Promise<DeletedAgent> {
    const key = agentKey(this.registry.get(name).agent.name);
    return this.agentLocks.run(key, async () => {
      const record = this.registry.get(name);
      const work = await this.unlandedWork(record, options.force === true);
      if (work && !work.safeToDelete && !options.force) throw new FleetError('conflict', deleteRefusal(record, work));
      this.queue.cancelQueued(key, record, 'agent deleted');
      this.registry.setStatus(key, record, 'deleting', null);
      await this.runs.stop(key, record, 'agent deleted');
      const outcome = await this.parts.backend.forgetAgent(this.parts.store, key, record, this.parts.logger);
      this.registry.changed(key);
      const verdict = outcome.branch;
      const branch = verdict && { branch: verdict.branch, deleted: verdict.deleted, reason: verdict.deleted ? null : verdict.reason };
      return {
        ...record.agent,
        status: 'deleted',
        status_reason: outcome.summary,
        current_task_id: null,
        updated_at: timestamp(),
        branch_outcome: branch,
        forced_past: work && !work.safeToDelete ? work.summary : null,
      };
    });
  }

  async agentChanges(name: string, request: ChangesRequest = {}): Promise<(AgentChanges | NotGitChanges) & { agent: string }> {
    const record = this.registry.get(name);
    return { agent: record.agent.name, ...(await this.parts.backend.agentChanges(record, request)) };
  }

  /** Lands the agent's branch; refused while a task runs or waits, since the branch would still move. */
  async mergeAgent(name: string, request: MergeAgentRequest): Promise<MergeAgentResult> {
    this.assertOpen();
    const key = agentKey(this.registry.get(name).agent.name);
    return this.agentLocks.run(key, async () => {
      const record = this.registry.get(name);
      this.assertNotWorking(key, record, 'merged');
      const { backend } = this.parts;
      const leftovers = await backend.commitLeftovers(record, preMergeLeftoversMessage(record));
      const message = request.message ?? defaultMergeMessage(record, request.strategy);
      const result = await backend.mergeAgent(record, { target: request.target, strategy: request.strategy, message });
      const committed = leftovers && { sha: leftovers.sha, files: leftovers.files };
      return { agent: record.agent.name, leftovers_committed: committed, ...result };
    });
  }

  async cleanupBranches(projectName: string, into?: string): Promise<CleanupBranchesResult> {
    const project = this.parts.catalog.project(projectName);
    const liveBranches = this.registry.all().flatMap((record) => (record.agent.branch ? [record.agent.branch] : []));
    const result = await this.parts.backend.cleanupBranches(project, { liveBranches, into });
    return { project: project.name, ...result };
  }

  taskHistory(name: string, request: PageRequest = {}): Page<TaskRecord> {
    const record = this.registry.get(name);
    const key = agentKey(record.agent.name);
    const window = pageWindow(request, TASK_HISTORY_PAGES);
    const newestFirst = [...record.tasks].reverse();
    const items = newestFirst.slice(window.offset, window.offset + window.pageSize).map((task) => this.taskView(key, task));
    return toPage(items, window, record.tasks.length);
  }

  agentLog(name: string, request: PageRequest = {}): Page<LogLine> {
    const record = this.registry.get(name);
    const window = pageWindow(request, AGENT_LOG_PAGES);
    const key = agentKey(record.agent.name);
    const sources = [...record.tasks].reverse().map((task) => this.runs.logSource(key, task));
    const { items, total } = logPage(sources, window);
    return toPage(items, window, total);
  }

  async waitForAgent(name: string, timeoutMs: number): Promise<WaitResult> {
    const record = this.registry.get(name);
    const outcome = await waitUntilSettled(this.registry, agentKey(record.agent.name), record, timeoutMs);
    if (!outcome.record) return { agent: { ...this.details(outcome.last), status: 'deleted', current_task_id: null }, timed_out: false };
    return { agent: this.details(outcome.record), timed_out: outcome.timed_out };
  }

  onChange(listener: (change: AgentChange) => void): () => void {
    return this.registry.onAnyChange(listener);
  }

  reloadConfig(projects: Project[], roles: Role[]): void {
    this.parts.catalog = new Catalog(projects, roles);
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.queue.cancelAll('server shutting down');
    if (this.parts.options.stopAgentsOnShutdown) await this.runs.stopAll('server shutting down');
    else this.runs.detachAll();
    this.parts.lock.release();
  }

  /**
   * Makes the agent's working directory and runs the project's worktree setup in a new worktree, and again until it
   * has once succeeded there (its output in the log of the agent's latest task). A failure marks the agent failed and tells the caller why;
   * the task it was to run ends failed, never started, and keeps its text for restart_agent.
   */
  private async prepareWorkspace(key: string, record: AgentRecord, project: Project): Promise<void> {
    this.registry.setStatus(key, record, 'starting', null);
    try {
      // An agent whose worktree was never made (an empty repository) takes the project's default base once there is one.
      if (!record.agent.base && !record.agent.branch) record.agent.base = await this.parts.backend.resolveBase(project, undefined);
      const workspace = await this.parts.backend.prepareWorkspace(record.agent.name, project, record.agent.base ?? null);
      record.agent.workdir = workspace.workdir;
      record.agent.branch = workspace.branch;
      record.git = workspace.git;
      // A worktree made again (its directory was gone) lacks what the setup gave the first one.
      if (workspace.created && project.setup) record.setup_pending = true;
      if (record.setup_pending) {
        const env = childEnv(this.parts.options.baseEnv, this.parts.catalog.agentRole(record.agent).env);
        await this.parts.backend.setupWorkspace(record, project, env, (stream, text) => this.logBeforeTask(key, record, stream, text));
        record.setup_pending = false;
      }
    } catch (error) {
      if (!(error instanceof WorkspaceError)) throw error;
      const waiting = record.tasks.find((task) => task.status === 'queued');
      if (!waiting) this.registry.fail(key, record, error.message, error.output);
      Object.assign(waiting, { status: 'failed', reason: `not started: ${error.message}`, ended_at: timestamp() });
      record.agent.current_task_id = null;
      this.registry.fail(key, record, `${error.message}. Its task was not started; its text is kept and restart_agent runs it`, error.output);
    }
    this.parts.store.save(key);
  }

  /** A line in the log of the agent's latest task, written while no process of it runs (worktree setup). */
  private logBeforeTask(key: string, record: AgentRecord, stream: LogStream, text: string): void {
    const task = record.tasks.at(-1);
    if (!task) return;
    appendToTaskLogFile(this.parts.store.logFile(key, task.id), { time: timestamp(), stream, text, task_id: task.id });
    task.log_lines += 1;
  }

  /** Records a new task on the agent, queued until it gets a busy slot. */
  private addTask(record: AgentRecord, description: string, options: { freshConversation?: boolean; by?: string } = {}): TaskRecord {
    const task = newTask(record.agent.name, description, { freshConversation: options.freshConversation ?? false, by: options.by ?? null });
    record.tasks.push(task);
    record.agent.current_task_id = task.id;
    return task;
  }

  /** Hands the task to the queue, unless shutdown began while the caller waited for the agent's lock or worktree. */
  private async submit(key: string, record: AgentRecord, role: Role, task: TaskRecord): Promise<void> {
    this.assertOpen();
    await this.queue.submit(key, record, role, task);
  }

  private details(record: AgentRecord): AgentDetails {
    const last = record.tasks.at(-1);
    return { ...record.agent, base: record.agent.base ?? null, task_count: record.tasks.length, last_task: last ? this.taskView(agentKey(record.agent.name), last) : null };
  }

  /** A copy of the task with its live line count and queue position. */
  private taskView(key: string, task: TaskRecord): TaskRecord {
    return {
      ...taskDefaults(task),
      ...task,
      log_lines: this.runs.liveLogLines(key, task) ?? task.log_lines,
      queue_position: this.queue.position(key, task),
    };
  }

  private assertNameFree(key: string): void {
    const existing = this.registry.find(key);
    if (!existing) return;
    throw new FleetError(
      'conflict',
      `An agent named "${existing.agent.name}" already exists (agent names are case-insensitive). ` +
        `Choose another name, or give "${existing.agent.name}" a new task with start_agent_task.`,
    );
  }

  private assertIdle(key: string, record: AgentRecord): void {
    const { agent } = record;
    if (agent.status === 'idle') return;
    const name = JSON.stringify(agent.name);
    const current = this.runs.active(key)?.task ?? this.queue.waiting(key);
    if (current) {
      const when = current.started_at ? `started ${current.started_at}` : `queued ${current.created_at}`;
      throw new FleetError(
        'conflict',
        `Agent ${name} is ${agent.status} with task "${current.description.slice(0, 200)}" (${when}). ` +
          `A task can only start when the agent is idle: wait with wait_for_agent, or stop it with cancel_agent_task.`,
      );
    }
    const why = agent.status_reason ? ` (${agent.status_reason})` : '';
    throw new FleetError('conflict', `Agent ${name} is ${agent.status}${why}; a task can only start when it is idle. Call restart_agent to make it idle.`);
  }

  /**
   * What deleting would lose. When git cannot tell (the repository was moved or removed), a plain delete is refused
   * with git's reason, and a forced one goes ahead without knowing.
   */
  private async unlandedWork(record: AgentRecord, force: boolean): Promise<UnlandedWork | null> {
    try {
      return await this.parts.backend.unlandedWork(record);
    } catch (error) {
      if (force) return null;
      throw new FleetError(
        'failed',
        `Cannot tell whether deleting agent "${record.agent.name}" would lose work: ${(error as Error).message}. ` +
          'Fix the repository, or call delete_agent with force: true.',
      );
    }
  }

  /** Refuses while the agent runs a task, waits for a slot, or is being set up or stopped. */
  private assertNotWorking(key: string, record: AgentRecord, what: string): void {
    const { agent } = record;
    const current = this.runs.active(key)?.task ?? this.queue.waiting(key);
    if (!current && !['starting', 'canceling', 'stopping', 'deleting'].includes(agent.status)) return;
    const doing = current ? ` with task "${current.description.slice(0, 200)}"` : '';
    throw new FleetError(
      'conflict',
      `Agent "${agent.name}" is ${agent.status}${doing}; its work can be ${what} once it is idle: wait with wait_for_agent, or stop it with cancel_agent_task.`,
    );
  }

  private assertRoomForAgent(): void {
    const max = this.parts.options.maxAgents ?? DEFAULT_MAX_AGENTS;
    const count = this.registry.all().length;
    if (count < max) return;
    throw new FleetError(
      'conflict',
      `The fleet already has ${count} agents, its limit (FLEET_MCP_MAX_AGENTS=${max}). ` +
        'Delete an agent you no longer need with delete_agent, or raise FLEET_MCP_MAX_AGENTS and restart the server.',
    );
  }

  private assertOpen(): void {
    if (this.shuttingDown) throw new FleetError('shutting_down', 'The fleet server is shutting down and starts no new work.');
  }
}

/** Fields a task recorded by an earlier version lacks. */
function taskDefaults(task: TaskRecord): Partial<TaskRecord> {
  return { ...UNSET_TASK_FIELDS, created_at: task.started_at ?? undefined };
}

function newAgentRecord(name: string, project: Project, role: Role, base: AgentBase | null, by: string | null): AgentRecord {
  const now = timestamp();
  return {
    agent: {
      name,
      project: project.name,
      role: role.name,
      status: 'starting',
      status_reason: null,
      workdir: project.path,
      branch: null,
      base,
      current_task_id: null,
      created_by: by,
      created_at: now,
      updated_at: now,
    },
    tasks: [],
    git: null,
    process: null,
    setup_pending: project.setup !== undefined,
  };
}

function lastTaskSummary(record: AgentRecord): string {
  const last = record.tasks.at(-1);
  if (!last) return 'It has run no task yet.';
  return `Its last task ended ${last.status}${last.reason ? ` (${last.reason})` : ''} at ${last.ended_at}.`;
}

function parseStatus(text: string): AgentStatus {
  const status = AGENT_STATUSES.find((candidate) => candidate === text.trim().toLowerCase());
  if (status) return status;
  throw new FleetError('invalid_argument', `Unknown status ${JSON.stringify(text)}. Valid statuses: ${AGENT_STATUSES.join(', ')}.`);
}
