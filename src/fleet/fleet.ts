import { existsSync, mkdirSync } from 'node:fs';
import { systemClock, type Clock } from '../clock.js';
import {
  assertIdle,
  assertNameFree,
  assertNotWorking,
  assertRoomForAgent,
  refuseLeftovers,
  unlandedWork,
} from './agents/agent-guards.js';
import { lastOutcome, lastTaskSummary, newAgentRecord, parseStatus, taskDefaults } from './agents/agent-records.js';
import { AgentRegistry, timestamp, type AgentChange } from './agents/agent-registry.js';
import { ACTIVE_STATUSES, waitUntilSettled } from './agents/agent-waits.js';
import { prepareWorkspace, type WorkspaceDeps } from './agents/agent-workspace.js';
import type { ChangesRequest, FleetBackend, GitContext } from './backend.js';
import { Catalog } from './catalog.js';
import { childEnv } from './child-env.js';
import { lockDataDir, type DataDirLock, type LockKind } from './data-dir-lock.js';
import { FleetError, UnlandedWorkError } from './errors.js';
import {
  AGENT_LIST_PAGES,
  AGENT_LOG_PAGES,
  DEFAULT_MAX_AGENTS,
  TASK_HISTORY_PAGES,
  type AgentDetails,
  type AgentQuestion,
  type AgentsPage,
  type CleanupBranchesResult,
  type CreateAgentInput,
  type DeletedAgent,
  type Fleet,
  type ListAgentsFilter,
  type ListAgentsRequest,
  type ListedAgent,
  type MergeAgentRequest,
  type MergeAgentResult,
  type QuestionAnswer,
  type StartTaskOptions,
  type WaitResult,
} from './fleet-api.js';
import { KeyedLock } from './keyed-lock.js';
import { assertReviewed, defaultMergeMessage, deleteRefusal, preMergeLeftoversMessage } from './landing-rules.js';
import { createFleetLauncher, type SandboxSettings } from './backends/local/sandbox/fleet-launcher.js';
import type { AgentLauncher } from './backends/local/sandbox/launcher.js';
import { createLocalBackend } from './backends/local/local-backend.js';
import { LOCAL_BACKEND } from './backends/backends-config.js';
import type { EngineSettings } from './backends/remote/engine-launch.js';
import { cleanupEngines } from './backends/remote/engine-cleanup.js';
import { logPage } from './logs/log-pages.js';
import { silentLogger, type FleetLogger } from './logger.js';
import { agentKey, assertValidAgentName } from './agents/names.js';
import type { Project } from './projects.js';
import { pageWindow, toPage, type PageRequest } from './pagination.js';
import { recoverState, type RecoveredState, type ResumableTask } from './recovery.js';
import { offeredRole, type OfferedRole } from './agents/role-usability.js';
import type { AgentChanges, NotGitChanges } from './review/changes.js';
import type { GitPlace } from './review/git.js';
import { BY_NAME, Store, type AgentRecord } from './store.js';
import { taskSupervisor, type TaskSupervisor } from './tasks/supervisor/script.js';
import { assertTaskNotOption, TASK_OPTION_FIX, unprotectedTaskRoles } from './tasks/task-option-guard.js';
import { assertTaskText } from './tasks/task-text.js';
import { TaskQueue } from './tasks/task-queue.js';
import { newTask, TaskRuns } from './tasks/task-runs.js';
import type { LogLine, Page, Role, TaskRecord } from './types.js';
import { sumUsage, type UsageTotals } from './usage/task-usage.js';
import { UsageLedger, type UsageReport } from './usage/usage-ledger.js';

export * from './fleet-api.js';
export { MAX_TASK_CHARS } from './tasks/task-text.js';
export type { AgentChange } from './agents/agent-registry.js';

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
  /** What tasks' timeouts, idle timeouts, stall bounds and end graces count on. Default: the system's. */
  clock?: Clock;
  /** Log size kept per task; the oldest lines go first. Default 10 MB. */
  logCapBytes?: number;
  /**
   * Whether shutdown() cancels running tasks. By default they run on, and the next server on this data dir follows
   * them again and records how they ended.
   */
  stopAgentsOnShutdown?: boolean;
  /** How long to wait for another server to let go of the data dir. Default 5000 ms. */
  lockWaitMs?: number;
  /** What holds the data dir: `serve` (the default) takes it over from a background `host` of stdio clients. */
  kind?: LockKind;
  sandbox?: SandboxSettings;
  /** The engines of the config's other backends; unset where the fleet serves no HTTP for their git. */
  engines?: EngineSettings;
}

/**
 * Opens the fleet on its data dir: loads the state of the previous run, settles what that run left behind and
 * follows again the tasks it left running, then serves the tool operations.
 */
export async function createFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.maxBusy) || options.maxBusy < 1) {
    throw new FleetError('invalid_argument', `maxBusy must be a whole number of at least 1 (got ${options.maxBusy}).`);
  }
  const catalog = new Catalog(options.projects, options.roles, options.baseEnv.PATH);
  const logger = options.logger ?? silentLogger;
  for (const role of unprotectedTaskRoles(options.roles)) {
    logger.warn(
      { role: role.name, command: role.command },
      `a task text starting with "-" would reach this role's program as an option, so such tasks are refused: ${TASK_OPTION_FIX}`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const kind = options.kind ?? 'serve';
  const lock = await lockDataDir(options.dataDir, { waitMs: options.lockWaitMs, kind, evictHost: kind === 'serve' });
  let store: Store | undefined;
  try {
    store = Store.open(options.dataDir, logger);
    const supervisor = taskSupervisor(options.dataDir);
    const recovered = await recoverState(store, logger);
    const launcher = createFleetLauncher(options);
    const ledger = UsageLedger.open(options.dataDir, logger);
    const parts: FleetParts = {
      options,
      catalog,
      store,
      ledger,
      logger,
      lock,
      launcher,
      backend: createLocalBackend(store, (record, context) => repositoryPlace(parts, record, context)),
      supervisor,
      recovered,
    };
    return new FleetService(parts);
  } catch (error) {
    await store?.flush();
    lock.release();
    throw error;
  }
}

/** The index of the first agent whose name sorts after `cursor` (an agent deleted meanwhile is still a place). */
function afterName(sorted: readonly AgentRecord[], cursor: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (BY_NAME.compare(sorted[middle]!.agent.name, cursor) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Where git runs on an agent's repository: where its tasks run (see AgentLauncher.placeOfRepository). */
function repositoryPlace(parts: FleetParts, record: AgentRecord, context: GitContext): GitPlace {
  const { catalog, launcher } = parts;
  const role = catalog.roles.find((candidate) => candidate.name === record.agent.role) ?? null;
  const command = launcher.placeOfRepository(
    role,
    catalog.projects.find((project) => project.name === record.agent.project),
    record.ran_sandboxed,
  );
  // git runs at the repository's top, where the pathspecs it is given start; writable are only what the agent's tasks
  // may write, so nothing here can change what a later sandbox binds.
  const top = record.git?.worktree ?? record.agent.workdir;
  return (argv, env, cwd = top) => command({ argv, env, cwd, workdir: record.agent.workdir, git: context });
}

interface FleetParts {
  options: FleetOptions;
  catalog: Catalog;
  store: Store;
  logger: FleetLogger;
  lock: DataDirLock;
  launcher: AgentLauncher;
  backend: FleetBackend;
  supervisor: TaskSupervisor;
  /** Tasks the previous server left running, followed again from the start, and those it left waiting for a slot. */
  recovered: RecoveredState;
  ledger: UsageLedger;
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
      clock: options.clock ?? systemClock,
      cancelGraceMs,
      endGraceMs: cancelGraceMs,
      logCapBytes: options.logCapBytes,
      supervisor: parts.supervisor,
      launcher: parts.launcher,
      projectOf: (name) => this.parts.catalog.projects.find((project) => project.name === name),
      onEnded: (key) => this.queue.release(key),
      ledger: parts.ledger,
      engines: options.engines,
    });
    this.queue = new TaskQueue({
      maxBusy: options.maxBusy,
      registry: this.registry,
      runs: this.runs,
      agentLocks: this.agentLocks,
      logger,
      isShuttingDown: () => this.shuttingDown,
    });
    for (const { key, record, task } of parts.recovered.running) {
      this.queue.adopt(key, task);
      this.runs.reattach(key, record, task);
    }
    for (const waiting of parts.recovered.queued) this.requeue(waiting);
    // In the background: an engine that is slow to answer holds up no start.
    if (options.engines) void cleanupEngines(options.engines, (task) => this.runs.follows(task), logger);
  }

  listProjects(): Project[] {
    return this.parts.catalog.projects.map((project) => ({ ...project }));
  }

  listRoles(projectName: string): OfferedRole[] {
    const project = this.parts.catalog.project(projectName);
    const deps = {
      launcher: this.parts.launcher,
      pathEnv: this.parts.options.baseEnv.PATH,
      baseEnv: this.parts.options.baseEnv,
      engines: this.parts.options.engines,
    };
    return this.parts.catalog.rolesOf(projectName).map((role) => offeredRole(role, project, deps));
  }

  async createAgent(input: CreateAgentInput): Promise<AgentDetails> {
    this.assertOpen();
    assertValidAgentName(input.name);
    const key = agentKey(input.name);
    this.assertNewAgentFits(key);
    const project = this.parts.catalog.project(input.project);
    const role = this.parts.catalog.roleFor(project, input.role);
    assertTaskText(input.task);
    assertTaskNotOption(role, input.task);
    await this.assertBackendUsable(role, project);
    // A base that is not there is refused before the agent exists, so nothing is left to clean up.
    const base = await this.parts.backend.resolveBase(project, input.base);
    // Checked again: another create may have taken the name or the last place while the base was looked up.
    this.assertNewAgentFits(key);
    const record = newAgentRecord(input.name, project, role, base, input.by ?? null);
    // The task is recorded before anything can fail, so its text is kept for restart_agent whatever happens next.
    const task = this.addTask(record, input.task, { by: input.by });
    this.parts.store.put(key, record);
    return this.agentLocks.run(key, async () => {
      await prepareWorkspace(this.workspaceDeps(), key, record, project);
      await this.submit(key, record, role, task);
      return this.details(record);
    });
  }

  /** An agent on an engine is refused before anything is made for it when the engine cannot run its tasks. */
  private async assertBackendUsable(role: Role, project: Project): Promise<void> {
    const name = role.backend ?? project.backend ?? LOCAL_BACKEND;
    if (name === LOCAL_BACKEND) return;
    const { engines, baseEnv } = this.parts.options;
    const problem = offeredRole(role, project, {
      launcher: this.parts.launcher,
      pathEnv: undefined,
      baseEnv,
      engines,
    }).problem;
    const backend = engines?.backends[name];
    const unreachable =
      problem === null && engines && backend ? await (await engines.runtime({ ...backend, name })).problem() : null;
    if (problem !== null || unreachable !== null)
      throw new FleetError('failed', `${problem ?? unreachable}; no agent was created`);
  }

  listAgents(filter: ListAgentsFilter = {}): ListedAgent[] {
    return this.matchingAgents(filter).map((record) => this.listed(record));
  }

  listAgentsPage(request: ListAgentsRequest = {}): AgentsPage {
    const pageSize = request.pageSize ?? AGENT_LIST_PAGES.defaultSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > AGENT_LIST_PAGES.maxSize)
      throw new FleetError(
        'invalid_argument',
        `Invalid page_size ${pageSize}: it must be a whole number from 1 to ${AGENT_LIST_PAGES.maxSize}.`,
      );
    const matching = this.matchingAgents(request);
    const { cursor } = request;
    const start = cursor === undefined ? 0 : afterName(matching, cursor);
    const page = matching.slice(start, start + pageSize);
    const more = start + pageSize < matching.length;
    return {
      agents: page.map((record) => this.listed(record)),
      total_count: matching.length,
      next_cursor: more ? page.at(-1)!.agent.name : null,
    };
  }

  /** The agents of the status and project, by name. */
  private matchingAgents(filter: ListAgentsFilter): AgentRecord[] {
    const status = filter.status === undefined ? undefined : parseStatus(filter.status);
    const project = filter.project === undefined ? undefined : this.parts.catalog.project(filter.project).name;
    return this.parts.store
      .byName()
      .filter(
        ({ agent }) =>
          (status === undefined || agent.status === status) && (project === undefined || agent.project === project),
      );
  }

  private listed(record: AgentRecord): ListedAgent {
    return {
      ...record.agent,
      last_outcome: lastOutcome(record),
      usage: this.agentUsage(record),
      question: this.question(record),
    };
  }

  /** The bare repository an agent on an engine fetches and pushes its branch to; null for any other name. */
  engineRepository(name: string): string | null {
    const record = this.registry.find(agentKey(name));
    if (!record || record.agent.name !== name || record.agent.backend === LOCAL_BACKEND || !record.git) return null;
    return record.git.worktree;
  }

  usageReport(): UsageReport {
    return this.parts.ledger.snapshot();
  }

  agentName(key: string): string | null {
    return this.registry.find(key)?.agent.name ?? null;
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
      assertIdle(record, this.currentTask(key));
      const role = this.parts.catalog.agentRole(record.agent);
      assertTaskNotOption(role, description);
      await this.submit(
        key,
        record,
        role,
        this.addTask(record, description, { freshConversation: options.freshConversation, by: options.by }),
      );
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
        await prepareWorkspace(this.workspaceDeps(), key, record, this.parts.catalog.project(record.agent.project));
      }
      this.registry.setStatus(key, record, 'idle', null);
      const last = record.tasks.at(-1);
      if (last && last.status === 'failed' && last.started_at === null) {
        assertTaskNotOption(this.parts.catalog.agentRole(record.agent), last.description);
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
      const work = await unlandedWork(this.parts.backend, record, options.force === true);
      if (work && !work.safeToDelete && !options.force) throw new UnlandedWorkError(deleteRefusal(record, work));
      this.queue.cancelQueued(key, record, 'agent deleted');
      this.registry.setStatus(key, record, 'deleting', null);
      await this.runs.stop(key, record, 'agent deleted');
      const outcome = await this.parts.backend.forgetAgent(this.parts.store, key, record, this.parts.logger);
      this.registry.changed(key);
      const verdict = outcome.branch;
      const branch = verdict && {
        branch: verdict.branch,
        deleted: verdict.deleted,
        reason: verdict.deleted ? null : verdict.reason,
      };
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

  async agentChanges(
    name: string,
    request: ChangesRequest = {},
  ): Promise<(AgentChanges | NotGitChanges) & { agent: string }> {
    const record = this.registry.get(name);
    return { agent: record.agent.name, ...(await this.parts.backend.agentChanges(record, request)) };
  }

  /** Lands the agent's branch; refused while a task runs or waits, since the branch would still move. */
  async mergeAgent(name: string, request: MergeAgentRequest): Promise<MergeAgentResult> {
    this.assertOpen();
    const key = agentKey(this.registry.get(name).agent.name);
    return this.agentLocks.run(key, async () => {
      const record = this.registry.get(name);
      assertNotWorking(record, this.currentTask(key), 'merged');
      const { backend } = this.parts;
      if (request.leftovers === 'refuse') await refuseLeftovers(backend, record);
      const leftovers = await backend.commitLeftovers(record, preMergeLeftoversMessage(record));
      // After the leftovers: work the lead saw only as uncommitted is a new commit it has not reviewed as such.
      if (request.commit !== undefined) assertReviewed(record, request.commit, await backend.branchCommit(record));
      const message = request.message ?? defaultMergeMessage(record, request.strategy);
      const check = this.parts.catalog.projects.find((project) => project.name === record.agent.project)?.check;
      const result = await backend.mergeAgent(record, {
        target: request.target,
        check,
        strategy: request.strategy,
        message,
      });
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
    const items = newestFirst
      .slice(window.offset, window.offset + window.pageSize)
      .map((task) => this.taskView(key, task));
    return toPage(items, window, record.tasks.length);
  }

  async agentLog(name: string, request: PageRequest = {}): Promise<Page<LogLine>> {
    const record = this.registry.get(name);
    const window = pageWindow(request, AGENT_LOG_PAGES);
    const key = agentKey(record.agent.name);
    const sources = [...record.tasks].reverse().map((task) => this.runs.logSource(key, task));
    const { items, total } = await logPage(sources, window);
    return toPage(items, window, total);
  }

  liveLogLine(name: string): LogLine | undefined {
    return this.runs.liveLogLine(agentKey(this.registry.get(name).agent.name));
  }

  async answerQuestion(name: string, id: string, answer: QuestionAnswer): Promise<AgentDetails> {
    const record = this.registry.get(name);
    this.runs.answer(agentKey(record.agent.name), record.agent.name, id, answer);
    return this.details(record);
  }

  async waitForAgent(name: string, timeoutMs: number): Promise<WaitResult> {
    const record = this.registry.get(name);
    const key = agentKey(record.agent.name);
    const outcome = await waitUntilSettled(
      this.registry,
      key,
      record,
      timeoutMs,
      () => this.runs.question(key) !== null,
    );
    if (!outcome.record)
      return { agent: { ...this.details(outcome.last), status: 'deleted', current_task_id: null }, timed_out: false };
    return { agent: this.details(outcome.record), timed_out: outcome.timed_out };
  }

  onChange(listener: (change: AgentChange) => void): () => void {
    return this.registry.onAnyChange(listener);
  }

  reloadConfig(projects: Project[], roles: Role[]): void {
    this.parts.catalog = new Catalog(projects, roles, this.parts.options.baseEnv.PATH);
  }

  isWorking(): boolean {
    return this.registry.all().some((record) => ACTIVE_STATUSES.has(record.agent.status));
  }

  /** Running tasks run on and queued ones stay queued for the next server, unless stopAgentsOnShutdown ends them all. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.parts.options.stopAgentsOnShutdown) {
      this.queue.cancelAll('server shutting down');
      await this.runs.stopAll('server shutting down');
    } else {
      this.runs.detachAll();
    }
    // The next server on this data dir reads what this one was told to keep.
    await Promise.all([this.parts.store.flush(), this.parts.ledger.flush()]);
    this.parts.lock.release();
  }

  /** A task the previous server left waiting for a busy slot waits again, in its place in line. */
  private requeue({ key, record, task }: ResumableTask): void {
    let role: Role;
    try {
      role = this.parts.catalog.agentRole(record.agent);
    } catch (error) {
      Object.assign(task, {
        status: 'failed',
        outcome: 'not_started',
        reason: `not started: ${(error as Error).message}`,
        ended_at: timestamp(),
      });
      record.agent.current_task_id = null;
      this.registry.setStatus(key, record, 'idle', null);
      return;
    }
    this.queue.submit(key, record, role, task).catch((error: unknown) => {
      this.parts.logger.error({ agent: record.agent.name, task: task.id, err: error }, 'a queued task could not start');
    });
  }

  /** Records a new task on the agent, queued until it gets a busy slot. */
  private addTask(
    record: AgentRecord,
    description: string,
    options: { freshConversation?: boolean; by?: string } = {},
  ): TaskRecord {
    const task = newTask(record.agent.name, description, {
      freshConversation: options.freshConversation ?? false,
      by: options.by ?? null,
    });
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
    const key = agentKey(record.agent.name);
    return {
      ...record.agent,
      base: record.agent.base ?? null,
      usage: this.agentUsage(record),
      question: this.question(record),
      task_count: record.tasks.length,
      last_task: last ? this.taskView(key, last) : null,
    };
  }

  /** The question the agent's running task waits on, if any. */
  private question(record: AgentRecord): AgentQuestion | null {
    return this.runs.question(agentKey(record.agent.name));
  }

  /** The agent's tasks' usage, the running one's so far included. */
  private agentUsage(record: AgentRecord): UsageTotals {
    return sumUsage(record.tasks.map((task) => task.usage ?? null));
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

  private workspaceDeps(): WorkspaceDeps {
    const { store, backend, options } = this.parts;
    return {
      registry: this.registry,
      store,
      backend,
      env: (record) => childEnv(options.baseEnv, this.parts.catalog.agentRole(record.agent).env),
    };
  }

  /** The task the agent runs or waits to run, if any. */
  private currentTask(key: string): TaskRecord | null {
    return this.runs.active(key)?.task ?? this.queue.waiting(key) ?? null;
  }

  private assertNewAgentFits(key: string): void {
    assertNameFree(this.registry.find(key));
    assertRoomForAgent(this.registry.all().length, this.parts.options.maxAgents ?? DEFAULT_MAX_AGENTS);
  }

  private assertOpen(): void {
    if (this.shuttingDown)
      throw new FleetError('shutting_down', 'The fleet server is shutting down and starts no new work.');
  }
}
