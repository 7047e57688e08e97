import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { childEnv } from './child-env.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { FleetError, listNames } from './errors.js';
import { findExecutable } from './executables.js';
import { forgetAgent } from './forget.js';
import { logPage, type LogSource } from './log-pages.js';
import { silentLogger, type FleetLogger } from './logger.js';
import { agentKey, assertValidAgentName } from './names.js';
import type { Project } from './projects.js';
import { pageWindow, toPage, type PageRequest } from './pagination.js';
import { recoverState } from './recovery.js';
import { taskArgv } from './roles.js';
import { runProcess, type RunOutcome, type RunningProcess } from './runner.js';
import { Store, type AgentRecord } from './store.js';
import { DEFAULT_LOG_CAP_BYTES, readTaskLogFile, TaskLog } from './task-log.js';
import {
  AGENT_STATUSES,
  type Agent,
  type AgentStatus,
  type LogLine,
  type Page,
  type Role,
  type TaskRecord,
} from './types.js';
import { ensureWorktree, findRepo, GitError, worktreeWorkdir } from './worktrees.js';

export interface FleetOptions {
  dataDir: string;
  projects: Project[];
  roles: Role[];
  /** How many agents may run a task at the same time. */
  maxBusy: number;
  /** The server's environment; agents get it minus the server's own variables. */
  baseEnv: NodeJS.ProcessEnv;
  logger?: FleetLogger;
  /** After SIGINT, the wait before SIGTERM; SIGKILL follows after twice this. Default 5000 ms. */
  cancelGraceMs?: number;
  /** Log size kept per task; the oldest lines go first. Default 10 MB. */
  logCapBytes?: number;
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
}

export interface ListAgentsFilter {
  status?: string;
  project?: string;
}

export const TASK_HISTORY_PAGES = { defaultSize: 20, maxSize: 100 } as const;
export const AGENT_LOG_PAGES = { defaultSize: 50, maxSize: 500 } as const;
export const MAX_TASK_CHARS = 100_000;

/** Statuses during which the agent has, or is about to have, a process; a waiter waits them out. */
const ACTIVE_STATUSES: ReadonlySet<AgentStatus> = new Set(['starting', 'busy', 'canceling']);

interface ActiveTask {
  task: TaskRecord;
  role: Role;
  log: TaskLog;
  process: RunningProcess;
  cancelReason: string | null;
  /** Settles once the end of the task is recorded. */
  recorded: Promise<void>;
}

export interface Fleet {
  listProjects(): Project[];
  listRoles(project: string): Role[];
  createAgent(input: CreateAgentInput): Promise<AgentDetails>;
  listAgents(filter?: ListAgentsFilter): Agent[];
  showAgent(name: string): AgentDetails;
  startTask(name: string, description: string): Promise<AgentDetails>;
  cancelTask(name: string): Promise<AgentDetails>;
  restartAgent(name: string): Promise<AgentDetails>;
  deleteAgent(name: string): Promise<Agent>;
  taskHistory(name: string, request?: PageRequest): Page<TaskRecord>;
  agentLog(name: string, request?: PageRequest): Page<LogLine>;
  waitForAgent(name: string, timeoutMs: number): Promise<WaitResult>;
  shutdown(): Promise<void>;
}

/**
 * Opens the fleet on its data dir: loads the state of the previous run and settles what that run left behind
 * (tasks whose server died end failed, "server restarted"), then serves the tool operations.
 */
export async function createFleet(options: FleetOptions): Promise<Fleet> {
  assertOptions(options);
  const logger = options.logger ?? silentLogger;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(options.dataDir);
  try {
    const store = Store.open(options.dataDir, logger);
    await recoverState(store, logger);
    return new LocalFleet(options, store, logger, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

function assertOptions(options: FleetOptions): void {
  if (!Number.isInteger(options.maxBusy) || options.maxBusy < 1) {
    throw new FleetError('invalid_argument', `maxBusy must be a whole number of at least 1 (got ${options.maxBusy}).`);
  }
  const projectNames = options.projects.map((project) => project.name);
  for (const role of options.roles) {
    const unknown = (role.projects ?? []).filter((name) => !projectNames.includes(name));
    if (unknown.length > 0) {
      throw new FleetError(
        'invalid_argument',
        `Role "${role.name}" is limited to unknown project(s) ${listNames(unknown)}. Projects: ${listNames(projectNames)}.`,
      );
    }
  }
}

class LocalFleet implements Fleet {
  private readonly running = new Map<string, ActiveTask>();
  /** Agents being created: they hold a busy slot before their process exists. */
  private readonly reserved = new Set<string>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly changes = new EventEmitter();
  private shuttingDown = false;

  constructor(
    private readonly options: FleetOptions,
    private readonly store: Store,
    private readonly logger: FleetLogger,
    private readonly lock: DataDirLock,
  ) {
    this.changes.setMaxListeners(0);
  }

  listProjects(): Project[] {
    return this.options.projects.map((project) => ({ ...project }));
  }

  listRoles(projectName: string): Role[] {
    const project = this.project(projectName);
    const roles = this.rolesFor(project);
    const fallback = this.defaultRole(roles);
    return roles.map((role) => ({ ...role, default: role === fallback }));
  }

  async createAgent(input: CreateAgentInput): Promise<AgentDetails> {
    this.assertOpen();
    assertValidAgentName(input.name);
    const key = agentKey(input.name);
    const existing = this.store.get(key);
    if (existing) {
      throw new FleetError(
        'conflict',
        `An agent named "${existing.agent.name}" already exists (agent names are case-insensitive). ` +
          `Choose another name, or give "${existing.agent.name}" a new task with start_agent_task.`,
      );
    }
    const project = this.project(input.project);
    const role = this.roleFor(project, input.role);
    assertTaskText(input.task);
    this.assertCapacity(`create agent "${input.name}" (creating an agent starts its first task)`);
    const now = timestamp();
    const record: AgentRecord = {
      agent: {
        name: input.name,
        project: project.name,
        role: role.name,
        status: 'starting',
        status_reason: null,
        workdir: project.path,
        branch: null,
        current_task_id: null,
        created_at: now,
        updated_at: now,
      },
      tasks: [],
      git: null,
      process: null,
    };
    this.reserved.add(key);
    this.store.put(key, record);
    try {
      return await this.withLock(key, async () => {
        await this.prepareWorkdir(key, record, project);
        this.reserved.delete(key);
        await this.launch(key, record, role, input.task);
        return this.details(record);
      });
    } finally {
      this.reserved.delete(key);
    }
  }

  listAgents(filter: ListAgentsFilter = {}): Agent[] {
    const status = filter.status === undefined ? undefined : parseStatus(filter.status);
    const project = filter.project === undefined ? undefined : this.project(filter.project).name;
    return this.store
      .all()
      .map((record) => record.agent)
      .filter((agent) => (status === undefined || agent.status === status) && (project === undefined || agent.project === project))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((agent) => ({ ...agent }));
  }

  showAgent(name: string): AgentDetails {
    return this.details(this.record(name));
  }

  async startTask(name: string, description: string): Promise<AgentDetails> {
    this.assertOpen();
    assertTaskText(description);
    const key = agentKey(this.record(name).agent.name);
    return this.withLock(key, async () => {
      const record = this.record(name);
      assertIdle(record, this.running.get(key));
      const role = this.agentRole(record.agent);
      this.assertCapacity(`start a task on agent "${record.agent.name}"`);
      await this.launch(key, record, role, description);
      return this.details(record);
    });
  }

  async cancelTask(name: string): Promise<AgentDetails> {
    const key = agentKey(this.record(name).agent.name);
    return this.withLock(key, async () => {
      const record = this.record(name);
      const active = this.running.get(key);
      if (!active) {
        throw new FleetError(
          'conflict',
          `Agent "${record.agent.name}" has no running task to cancel (status: ${record.agent.status}). ${lastTaskSummary(record)}`,
        );
      }
      await this.stop(key, record, active, 'canceled by request');
      return this.details(record);
    });
  }

  async restartAgent(name: string): Promise<AgentDetails> {
    this.assertOpen();
    const key = agentKey(this.record(name).agent.name);
    return this.withLock(key, async () => {
      const record = this.record(name);
      const active = this.running.get(key);
      if (active) await this.stop(key, record, active, 'canceled by restart_agent');
      if (record.agent.status === 'failed' || !existsSync(record.agent.workdir)) {
        await this.prepareWorkdir(key, record, this.project(record.agent.project));
      }
      this.setStatus(key, record, 'idle', null);
      return this.details(record);
    });
  }

  async deleteAgent(name: string): Promise<Agent> {
    const key = agentKey(this.record(name).agent.name);
    return this.withLock(key, async () => {
      const record = this.record(name);
      this.setStatus(key, record, 'deleting', null);
      const active = this.running.get(key);
      if (active) await this.stop(key, record, active, 'agent deleted');
      const outcome = await forgetAgent(this.store, key, record, this.logger);
      this.changes.emit(key);
      return { ...record.agent, status: 'deleted', status_reason: outcome, current_task_id: null, updated_at: timestamp() };
    });
  }

  taskHistory(name: string, request: PageRequest = {}): Page<TaskRecord> {
    const record = this.record(name);
    const window = pageWindow(request, TASK_HISTORY_PAGES);
    const newestFirst = [...record.tasks].reverse();
    const items = newestFirst.slice(window.offset, window.offset + window.pageSize).map((task) => this.taskView(task));
    return toPage(items, window, record.tasks.length);
  }

  agentLog(name: string, request: PageRequest = {}): Page<LogLine> {
    const record = this.record(name);
    const window = pageWindow(request, AGENT_LOG_PAGES);
    const key = agentKey(record.agent.name);
    const sources = [...record.tasks].reverse().map((task) => this.logSource(key, task));
    const { items, total } = logPage(sources, window);
    return toPage(items, window, total);
  }

  waitForAgent(name: string, timeoutMs: number): Promise<WaitResult> {
    const record = this.record(name);
    const key = agentKey(record.agent.name);
    let last = record;
    const settled = (): WaitResult | null => {
      const current = this.store.get(key);
      if (!current) return { agent: { ...this.details(last), status: 'deleted', current_task_id: null }, timed_out: false };
      last = current;
      return ACTIVE_STATUSES.has(current.agent.status) ? null : { agent: this.details(current), timed_out: false };
    };
    const now = settled();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onChange = (): void => {
        const result = settled();
        if (result) finish(result);
      };
      const timer = setTimeout(() => finish({ agent: this.details(last), timed_out: true }), timeoutMs);
      const finish = (result: WaitResult): void => {
        clearTimeout(timer);
        this.changes.off(key, onChange);
        resolve(result);
      };
      this.changes.on(key, onChange);
    });
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      [...this.running.entries()].map(([key, active]) => {
        const record = this.store.get(key);
        return record ? this.stop(key, record, active, 'server shutting down') : active.recorded;
      }),
    );
    this.lock.release();
  }

  /** Makes the agent's working directory: its own worktree in a git project, else the project directory. */
  private async prepareWorkdir(key: string, record: AgentRecord, project: Project): Promise<void> {
    this.setStatus(key, record, 'starting', null);
    const repo = existsSync(project.path) ? await findRepo(project.path) : null;
    if (!repo) {
      if (!existsSync(project.path)) {
        this.failAgent(key, record, `the project directory ${project.path} does not exist`);
      }
      record.agent.workdir = project.path;
      this.store.save(key);
      return;
    }
    const worktree = this.store.worktreePath(record.agent.name);
    const branch = `fleet/${record.agent.name}`;
    try {
      await ensureWorktree({ repoRoot: repo.root, path: worktree, branch });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      this.failAgent(key, record, `its git worktree could not be made: ${error.message}`);
    }
    record.git = { repo_root: repo.root, worktree };
    record.agent.branch = branch;
    record.agent.workdir = worktreeWorkdir(worktree, repo.prefix);
    // A project folder that git does not track yet is missing from a fresh worktree; the agent still works there.
    mkdirSync(record.agent.workdir, { recursive: true });
    this.store.save(key);
  }

  /** Marks the agent failed and throws the error that tells the caller why and what to do about it. */
  private failAgent(key: string, record: AgentRecord, reason: string): never {
    this.setStatus(key, record, 'failed', reason);
    this.logger.warn({ agent: record.agent.name, reason }, 'agent failed');
    throw new FleetError(
      'failed',
      `Agent "${record.agent.name}" failed: ${reason}. Fix the cause, then call restart_agent to retry, or delete_agent.`,
    );
  }

  /** Starts one task; the agent is busy once this returns. A missing command fails the task and the agent. */
  private async launch(key: string, record: AgentRecord, role: Role, description: string): Promise<void> {
    // A start that waited for the agent's lock or its worktree must not begin once shutdown has canceled the rest.
    this.assertOpen();
    const task = newTask(record.agent.name, description);
    const log = new TaskLog({ file: this.store.logFile(key, task.id), taskId: task.id, capBytes: this.options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES });
    const argv = taskArgv(role, description);
    const env = childEnv(this.options.baseEnv, role.env);
    record.tasks.push(task);
    log.append('system', [`task ${task.id} started with role "${role.name}" in ${record.agent.workdir}`]);
    if (!existsSync(record.agent.workdir)) {
      const reason = `its working directory ${record.agent.workdir} is missing`;
      this.endTask(key, record, { task, role, log }, { exit_code: null, signal: null, stopped: null, spawn_error: reason });
      this.failAgent(key, record, reason);
    }
    if (!findExecutable(argv[0]!, { pathEnv: env.PATH, cwd: record.agent.workdir })) {
      this.endTask(key, record, { task, role, log }, { exit_code: null, signal: null, stopped: null, spawn_error: `command "${argv[0]}" was not found on PATH` });
      this.failAgent(key, record, `the command "${argv[0]}" of role "${role.name}" was not found on PATH`);
    }
    const child = runProcess({
      argv,
      cwd: record.agent.workdir,
      env,
      timeoutMs: role.timeout_ms,
      cancelDelays: this.cancelDelays(),
      onOutput: (stream, lines) => log.append(stream, lines),
    });
    if (child.pid === null) {
      const outcome = await child.done;
      this.endTask(key, record, { task, role, log }, outcome);
      this.failAgent(key, record, `the command of role "${role.name}" could not be started: ${outcome.spawn_error}`);
    }
    record.process = { task_id: task.id, pid: child.pid, pid_start: child.pidStart };
    const active: ActiveTask = { task, role, log, process: child, cancelReason: null, recorded: Promise.resolve() };
    // A task that ends on its own has nobody awaiting it, so a failure to record it is logged rather than lost.
    active.recorded = child.done
      .then((outcome) => this.endTask(key, record, active, outcome))
      .catch((error: unknown) => this.logger.error({ agent: record.agent.name, task: task.id, err: error }, 'could not record the end of a task'));
    this.running.set(key, active);
    record.agent.current_task_id = task.id;
    this.setStatus(key, record, 'busy', null);
    this.logger.info({ agent: record.agent.name, task: task.id, pid: child.pid }, 'task started');
  }

  /** Records how a task ended and frees the agent. */
  private endTask(
    key: string,
    record: AgentRecord,
    active: Pick<ActiveTask, 'task' | 'role' | 'log'> & { cancelReason?: string | null },
    outcome: RunOutcome,
  ): void {
    const { task, log } = active;
    const end = taskEnd(outcome, active.role, active.cancelReason ?? null);
    task.status = end.status;
    task.reason = end.reason;
    task.exit_code = outcome.exit_code;
    task.ended_at = timestamp();
    log.append('system', [`task ${task.id} ${end.status}${end.reason ? `: ${end.reason}` : ''}`]);
    log.close();
    task.log_lines = log.lineCount;
    this.running.delete(key);
    if (record.process?.task_id === task.id) record.process = null;
    if (record.agent.current_task_id === task.id) record.agent.current_task_id = null;
    const status = record.agent.status === 'busy' || record.agent.status === 'canceling' ? 'idle' : record.agent.status;
    this.setStatus(key, record, status, record.agent.status_reason);
    this.logger.info({ agent: record.agent.name, task: task.id, status: task.status, reason: task.reason }, 'task ended');
  }

  /** Cancels the running task and waits until its end is recorded. */
  private async stop(key: string, record: AgentRecord, active: ActiveTask, reason: string): Promise<void> {
    active.cancelReason ??= reason;
    if (record.agent.status === 'busy') this.setStatus(key, record, 'canceling', null);
    await active.process.cancel();
    await active.recorded;
  }

  private setStatus(key: string, record: AgentRecord, status: AgentStatus, reason: string | null): void {
    record.agent.status = status;
    record.agent.status_reason = reason;
    record.agent.updated_at = timestamp();
    if (this.store.get(key) === record) this.store.save(key);
    this.changes.emit(key);
  }

  private details(record: AgentRecord): AgentDetails {
    const last = record.tasks.at(-1);
    return { ...record.agent, task_count: record.tasks.length, last_task: last ? this.taskView(last) : null };
  }

  /** A copy of the task whose line count is live while it runs. */
  private taskView(task: TaskRecord): TaskRecord {
    const active = this.running.get(agentKey(task.agent));
    return { ...task, log_lines: active?.task === task ? active.log.lineCount : task.log_lines };
  }

  private logSource(key: string, task: TaskRecord): LogSource {
    const active = this.running.get(key);
    if (active?.task === task) return { count: active.log.lineCount, read: () => active.log.lines() };
    return { count: task.log_lines, read: () => readTaskLogFile(this.store.logFile(key, task.id)) };
  }

  private record(name: string): AgentRecord {
    const record = this.store.get(agentKey(name));
    if (record) return record;
    const names = this.store.all().map((other) => other.agent.name).sort();
    const shown = names.length > 50 ? [...names.slice(0, 50), `... ${names.length - 50} more`] : names;
    throw new FleetError('not_found', `No agent named ${JSON.stringify(name)}. Existing agents: ${listNames(shown)}.`);
  }

  private project(name: string): Project {
    const project = this.options.projects.find((candidate) => candidate.name === name);
    if (project) return project;
    throw new FleetError(
      'not_found',
      `Unknown project ${JSON.stringify(name)}. Projects: ${listNames(this.options.projects.map((p) => p.name))}.`,
    );
  }

  private rolesFor(project: Project): Role[] {
    return this.options.roles.filter((role) => role.projects === null || role.projects.includes(project.name));
  }

  private defaultRole(roles: Role[]): Role | undefined {
    return roles.find((role) => role.default) ?? roles[0];
  }

  private roleFor(project: Project, name: string | undefined): Role {
    const roles = this.rolesFor(project);
    const valid = `Roles for project "${project.name}": ${listNames(roles.map((role) => role.name))}.`;
    if (name === undefined) {
      const role = this.defaultRole(roles);
      if (role) return role;
      throw new FleetError(
        'not_found',
        `No role is available for project "${project.name}": no built-in agent CLI (claude, codex, gemini, opencode, aider) ` +
          `is on PATH and the fleet config defines none for it. Add one under "roles" in the fleet config.`,
      );
    }
    const role = roles.find((candidate) => candidate.name === name);
    if (role) return role;
    const elsewhere = this.options.roles.find((candidate) => candidate.name === name);
    const why = elsewhere ? `Role "${name}" is not offered for project "${project.name}".` : `Unknown role ${JSON.stringify(name)}.`;
    throw new FleetError('not_found', `${why} ${valid}`);
  }

  private agentRole(agent: Agent): Role {
    const role = this.options.roles.find((candidate) => candidate.name === agent.role);
    if (role) return role;
    throw new FleetError(
      'failed',
      `The role "${agent.role}" of agent "${agent.name}" is no longer configured. ` +
        `Roles: ${listNames(this.options.roles.map((r) => r.name))}. Delete the agent and create it again with one of them.`,
    );
  }

  private assertCapacity(action: string): void {
    const busy = [...this.running.keys(), ...this.reserved].map((key) => this.store.get(key)?.agent.name ?? key);
    if (busy.length < this.options.maxBusy) return;
    throw new FleetError(
      'limit',
      `Cannot ${action}: ${busy.length} of at most ${this.options.maxBusy} agents are busy (${listNames(busy)}; ` +
        `the limit is FLEET_MCP_MAX_BUSY). Wait for one with wait_for_agent or cancel a task with cancel_agent_task, then retry.`,
    );
  }

  private assertOpen(): void {
    if (this.shuttingDown) throw new FleetError('shutting_down', 'The fleet server is shutting down and starts no new work.');
  }

  private cancelDelays(): { termMs: number; killMs: number } {
    const grace = this.options.cancelGraceMs ?? 5000;
    return { termMs: grace, killMs: 2 * grace };
  }

  /** Runs operations on one agent one after another, so e.g. a delete never overlaps a start. */
  private async withLock<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.locks.set(key, tail);
    await previous;
    try {
      return await operation();
    } finally {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}

function newTask(agent: string, description: string): TaskRecord {
  return {
    id: randomUUID(),
    agent,
    description,
    status: 'running',
    exit_code: null,
    reason: null,
    started_at: timestamp(),
    ended_at: null,
    log_lines: 0,
  };
}

function taskEnd(outcome: RunOutcome, role: Role, cancelReason: string | null): Pick<TaskRecord, 'status' | 'reason'> {
  if (outcome.spawn_error !== null) return { status: 'failed', reason: `could not start: ${outcome.spawn_error}` };
  if (outcome.stopped === 'canceled') return { status: 'canceled', reason: cancelReason ?? 'canceled' };
  if (outcome.stopped === 'timed_out') return { status: 'failed', reason: `timed out after ${role.timeout}` };
  if (outcome.exit_code === 0) return { status: 'completed', reason: null };
  if (outcome.exit_code !== null) return { status: 'failed', reason: `exit code ${outcome.exit_code}` };
  return { status: 'failed', reason: `killed by signal ${outcome.signal}` };
}

function assertTaskText(task: string): void {
  if (typeof task !== 'string' || task.trim() === '') {
    throw new FleetError('invalid_argument', 'The task description is empty: say what the agent should do.');
  }
  if (task.length > MAX_TASK_CHARS) {
    throw new FleetError('invalid_argument', `The task description has ${task.length} characters; at most ${MAX_TASK_CHARS} fit in one command argument.`);
  }
  if (task.includes('\0')) throw new FleetError('invalid_argument', 'The task description contains a NUL character, which no command argument can hold.');
}

function assertIdle(record: AgentRecord, active: ActiveTask | undefined): void {
  const { agent } = record;
  if (agent.status === 'idle') return;
  const name = JSON.stringify(agent.name);
  if (active) {
    throw new FleetError(
      'conflict',
      `Agent ${name} is ${agent.status} with task "${active.task.description.slice(0, 200)}" (started ${active.task.started_at}). ` +
        `A task can only start when the agent is idle: wait with wait_for_agent, or stop it with cancel_agent_task.`,
    );
  }
  const why = agent.status_reason ? ` (${agent.status_reason})` : '';
  throw new FleetError('conflict', `Agent ${name} is ${agent.status}${why}; a task can only start when it is idle. Call restart_agent to make it idle.`);
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

function timestamp(): string {
  return new Date().toISOString();
}
