import { randomUUID } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createOutputParser, type OutputParser, type OutputSummary } from './output/index.js';
import type { Clock } from '../../clock.js';
import type { AgentRegistry } from '../agents/agent-registry.js';
import { timestamp } from '../agents/agent-registry.js';
import type { FleetBackend } from '../backend.js';
import { childEnv } from '../child-env.js';
import { LOCAL_BACKEND } from '../backends/backends-config.js';
import {
  prepareEngineLaunch,
  resumeEngineTask,
  type EngineSettings,
  type PreparedEngineLaunch,
} from '../backends/remote/engine-launch.js';
import { cleanupEngineTask } from '../backends/remote/engine-cleanup.js';
import { planConversation } from './conversation.js';
import { findExecutable } from '../executables.js';
import { LaunchError, type AgentLauncher, type PreparedLaunch } from '../backends/local/sandbox/launcher.js';
import { guardedParser } from '../logs/output-guard.js';
import { commitTaskLeftovers, leftoversMessage } from './leftovers.js';
import type { LogSource } from '../logs/log-pages.js';
import type { FleetLogger } from '../logger.js';
import type { Project } from '../projects.js';
import { taskArgv } from '../roles.js';
import { readsTaskAsOption, TASK_OPTION_FIX } from './task-option-guard.js';
import { followTask, type FollowLimits, type RunOutcome, type RunningProcess } from './runner.js';
import type { AgentRecord } from '../store.js';
import { readLogLines } from '../logs/log-tail.js';
import { createRunFiles, readRunMeta, runFiles, taskRunDir, type RunMeta } from './supervisor/run-files.js';
import type { TaskSupervisor } from './supervisor/script.js';
import { DEFAULT_LOG_CAP_BYTES, readTaskLogFile, TaskLog } from '../logs/task-log.js';
import { reviewIfUncommitted, taskEnd } from './task-outcome.js';
import { projectOverBudget, taskWatcher, type ProjectSpending } from './task-watch.js';
import type { AgentQuestion, QuestionAnswer } from '../fleet-api.js';
import { FleetError } from '../errors.js';
import { stdinTemplate, taskLine } from './questions/claude-stdio.js';
import { QuestionDesk } from './questions/question-desk.js';
import type { LogLine, Role, TaskRecord } from '../types.js';
import type { UsageLedger } from '../usage/usage-ledger.js';

export interface TaskRunsOptions {
  registry: AgentRegistry;
  backend: FleetBackend;
  logger: FleetLogger;
  /** The server's environment; agents get it minus the server's own variables. */
  baseEnv: NodeJS.ProcessEnv;
  /** What a task's limits count on (see FollowLimits). */
  clock: Clock;
  /** After SIGINT, the wait before SIGTERM; SIGKILL follows after twice this. */
  cancelGraceMs: number;
  /** Once a task's first process has exited, the grace of what is left of its group between SIGTERM and SIGKILL. */
  endGraceMs: number;
  logCapBytes?: number;
  /** The command of the task supervisor (see supervisor/script.ts). */
  supervisor: TaskSupervisor;
  /** Decides how each task's process is isolated (directly, or in the bwrap sandbox). */
  launcher: AgentLauncher;
  /** The agent's project as the config has it now; undefined once a reload dropped it. */
  projectOf(name: string): Project | undefined;
  /** Called once a task's end is recorded, whatever the way it ended. */
  onEnded(key: string): void;
  /** Usage totals per project and token; each task's usage is added as it ends. */
  ledger: UsageLedger;
  /** The engines agents of a backend other than "local" run on; unset where the fleet serves no HTTP. */
  engines?: EngineSettings;
}

interface ActiveTask {
  task: TaskRecord;
  role: RunMeta;
  log: TaskLog;
  parser: OutputParser;
  head: string | null;
  process: RunningProcess;
  /** Its CLI's questions and the answers to them, for a CLI that reads its input from the server. */
  desk: QuestionDesk | null;
  /** Why the fleet stopped it: a cancel, a stalled model API, a budget. */
  cancelReason: string | null;
  /** Settles once the end of the task is recorded. */
  recorded: Promise<void>;
}

type EndingTask = Pick<ActiveTask, 'task' | 'role' | 'log' | 'head'> & {
  parser?: OutputParser;
  desk?: QuestionDesk | null;
  cancelReason?: string | null;
};

const NO_SUMMARY: OutputSummary = { final_message: null, error: null };

/** What a task knows of its run and outcome before it has run; also what a task recorded by an earlier version lacks. */
export const UNSET_TASK_FIELDS = {
  queue_position: null,
  started_by: null,
  duration_ms: null,
  head_at_start: null,
  commits: null,
  files_changed: null,
  uncommitted_changes: null,
  autocommit: null,
  final_message: null,
  error: null,
  fresh_conversation: false,
  continued_conversation: null,
  session_id: null,
  outcome: null,
  usage: null,
} as const satisfies Partial<TaskRecord>;

/** A task given to an agent, not started yet. */
export function newTask(
  agent: string,
  description: string,
  options: { freshConversation?: boolean; by?: string | null } = {},
): TaskRecord {
  return {
    ...UNSET_TASK_FIELDS,
    id: randomUUID(),
    agent,
    description,
    status: 'queued',
    started_by: options.by ?? null,
    exit_code: null,
    reason: null,
    created_at: timestamp(),
    started_at: null,
    ended_at: null,
    fresh_conversation: options.freshConversation ?? false,
    log_lines: 0,
  };
}

/** The tasks that run now: starting one, recording how it ended, stopping it, and their live views. */
export class TaskRuns {
  private readonly running = new Map<string, ActiveTask>();

  constructor(private readonly options: TaskRunsOptions) {}

  active(key: string): { task: TaskRecord } | undefined {
    return this.running.get(key);
  }

  /** Whether the task of this id is one this server follows now. */
  follows(taskId: string): boolean {
    for (const active of this.running.values()) if (active.task.id === taskId) return true;
    return false;
  }

  /**
   * Starts a queued task of the agent; the agent is busy once this returns. A missing directory or command ends
   * the task failed, never started, and fails the agent, so restart_agent can run the task once it is fixed.
   */
  async launch(key: string, record: AgentRecord, role: Role, task: TaskRecord): Promise<void> {
    const registry: AgentRegistry = this.options.registry;
    const { agent } = record;
    const file = registry.store.logFile(key, task.id);
    // Lines logged before the task ran (its agent's worktree setup) stay at the top of its log.
    const earlier = task.log_lines > 0 ? readTaskLogFile(file) : [];
    const log = new TaskLog({
      file,
      taskId: task.id,
      capBytes: this.options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES,
      earlier,
      onAppend: () => registry.logChanged(key),
    });
    const context = await this.options.backend.gitContext(record);
    const onEngine = agent.backend !== LOCAL_BACKEND;
    const launch = this.prepareLaunch(record, role, task);
    const launchRole = launch instanceof LaunchError ? role : launch.role;
    const conversation = planConversation(launchRole, record.tasks, task);
    // On this host the claude preset reads its task, and the answers to its questions, on stdin.
    const viaStdin = !onEngine && launchRole.questions === 'claude-stdio' ? stdinTemplate(conversation.template) : null;
    const template = viaStdin ?? conversation.template;
    const argv = taskArgv(template, {
      task: task.description,
      workdir: agent.workdir,
      git_dir: context.git_dir,
      git_common_dir: context.git_common_dir,
      session_id: conversation.sessionId,
    });
    const env = childEnv(this.options.baseEnv, role.env);
    const ending: EndingTask = { task, role, log, head: null };
    task.queue_position = null;
    task.continued_conversation = conversation.continued;
    log.append('system', [
      `task ${task.id} started with role "${role.name}" in ${agent.workdir} (${conversation.note})`,
    ]);
    if (launch instanceof LaunchError) {
      await this.end(key, record, ending, notStarted(launch.message));
      registry.fail(
        key,
        record,
        `${launch.message}; the task was not started, and restart_agent runs it once that is fixed`,
      );
    }
    if (task.description.startsWith('-') && !role.task_is_operand && readsTaskAsOption(template)) {
      // Checked when the task was asked for; here again for a role the config changed since.
      const reason = `role "${role.name}" would pass the task text, which starts with "-", to its program as an option`;
      await this.end(key, record, ending, notStarted(reason));
      registry.fail(key, record, `${reason}; the task was not started: ${TASK_OPTION_FIX}`);
    }
    if (!existsSync(agent.workdir)) {
      const reason = `its working directory ${agent.workdir} is missing`;
      await this.end(key, record, ending, notStarted(reason));
      registry.fail(
        key,
        record,
        `${reason}; the task was not started, and restart_agent runs it once the directory is back`,
      );
    }
    // An engine's image holds the CLI of an agent there; the task script names it when it is missing.
    if (!onEngine && !findExecutable(argv[0]!, { pathEnv: env.PATH, cwd: agent.workdir })) {
      await this.end(key, record, ending, notStarted(`command "${argv[0]}" was not found on PATH`));
      registry.fail(
        key,
        record,
        `the command "${argv[0]}" of role "${role.name}" was not found on PATH; the task was not started, and restart_agent runs it once the command is installed`,
      );
    }
    const spent = projectOverBudget(this.projectSpending(agent.project));
    if (spent !== null) {
      await this.end(
        key,
        record,
        { ...ending, cancelReason: spent },
        { ...notStarted(spent), spawn_error: null, stopped: 'over_budget' },
      );
      registry.fail(
        key,
        record,
        `${spent}; the task was not started: raise the project's budget in the fleet config, then restart_agent runs it`,
      );
    }
    const parser = guardedParser(createOutputParser(role.output));
    const files = createRunFiles(this.runDir(key, task.id), {
      ...runMeta(role),
      questions: viaStdin ? 'claude-stdio' : null,
    });
    if (viaStdin) writeFileSync(files.stdinFirst, taskLine(task.description), { mode: 0o600 });
    const desk = viaStdin ? this.questionDesk(key, task, files, log) : null;
    const limits = this.limits(key, { files, role, log, parser, task, project: agent.project, desk });
    let child: RunningProcess;
    if ('start' in launch) {
      log.append('system', [launch.note]);
      child = followTask(launch.start({ argv, files, note: (line) => log.append('system', [line]) }), {
        ...limits,
        startedAt: this.options.clock.now(),
        onReplay: () => {},
        resumed: false,
      });
    } else {
      const command = await this.launchCommand(key, record, ending, () =>
        launch.command({ argv, cwd: agent.workdir, env, git: context }),
      );
      if (launch.note) {
        log.append('system', [launch.note]);
        record.ran_sandboxed = true;
      }
      child = await this.options.backend.startProcess({
        ...command,
        cwd: agent.workdir,
        supervisor: this.options.supervisor,
        stdin: viaStdin ? { fifo: files.stdin, first: files.stdinFirst } : null,
        ...limits,
      });
    }
    if (!onEngine && child.pid === null) {
      const outcome = await child.done;
      await this.end(key, record, { ...ending, desk }, outcome);
      registry.fail(
        key,
        record,
        `the command of role "${role.name}" could not be started: ${outcome.spawn_error}; the task was not started, and restart_agent runs it again`,
      );
    }
    task.status = 'running';
    task.started_at = timestamp();
    task.head_at_start = context.head;
    record.process = { task_id: task.id, pid: child.pid, pid_start: child.pidStart };
    this.follow(key, record, {
      ...ending,
      parser,
      desk,
      head: context.head,
      process: child,
      cancelReason: null,
      recorded: Promise.resolve(),
    });
    agent.current_task_id = task.id;
    registry.setStatus(key, record, 'busy', null);
    // The task's process is on disk before a caller hears it started: a server killed later follows it again.
    await registry.store.saved(key);
    this.options.logger.info(
      { agent: agent.name, task: task.id, pid: child.pid, token_name: task.started_by },
      'task started',
    );
  }

  /**
   * Follows again a task a previous server started (see recovery.ts): its log goes on where that server stopped
   * reading, and its end is recorded with its real exit status, also when it ended while no server ran.
   */
  reattach(key: string, record: AgentRecord, task: TaskRecord): void {
    const files = runFiles(this.runDir(key, task.id));
    const role = readRunMeta(files)!;
    const file = this.options.registry.store.logFile(key, task.id);
    const log = new TaskLog({
      file,
      taskId: task.id,
      capBytes: this.options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES,
      earlier: readTaskLogFile(file),
      onAppend: () => this.options.registry.logChanged(key),
    });
    const parser = guardedParser(createOutputParser(role.output));
    const desk = role.questions === 'claude-stdio' ? this.questionDesk(key, task, files, log) : null;
    const { pid, pid_start } = record.process!;
    const following = {
      startedAt: Date.parse(task.started_at ?? task.created_at),
      onReplay: (lines: string[]) => {
        for (const line of lines) parser.stdoutLine(line);
      },
      ...this.limits(key, { files, role, log, parser, task, project: record.agent.project, desk }),
    };
    // A task on an engine is followed by the server itself (no pid), one of an earlier version by its relay's pid.
    const child =
      pid === null
        ? followTask(
            resumeEngineTask(this.options.engines, {
              record,
              task,
              files,
              note: (line) => log.append('system', [line]),
              stopGraceMs: this.options.cancelGraceMs,
            }),
            { ...following, resumed: true },
          )
        : this.options.backend.reattachProcess({ ...following, pid, pidStart: pid_start });
    log.append('system', [`task ${task.id} followed again by a restarted server`]);
    // The questions its output holds, without those answered before: the one still waiting is back.
    desk?.absorb(parser.takeControl?.() ?? []);
    // The credential its task script holds is derived again, not stored: its pushes are accepted once more.
    if (record.agent.backend !== LOCAL_BACKEND)
      this.options.engines?.credentials.issue({ agent: record.agent.name, task: task.id });
    const active: ActiveTask = {
      task,
      role,
      log,
      parser,
      desk,
      head: task.head_at_start,
      process: child,
      cancelReason: null,
      recorded: Promise.resolve(),
    };
    this.follow(key, record, active);
    // A cancel the previous server had begun is finished, its escalation to SIGKILL included.
    if (record.agent.status === 'canceling') {
      active.cancelReason = 'canceled by request';
      void child.cancel();
    }
    this.options.logger.info(
      { agent: record.agent.name, task: task.id, pid },
      'following a task that outlived the previous server',
    );
  }

  /** The question the agent's running task waits on, if any. */
  question(key: string): AgentQuestion | null {
    return this.running.get(key)?.desk?.pending() ?? null;
  }

  /** Answers the question `id` the agent's running task waits on; a FleetError when none such waits. */
  answer(key: string, name: string, id: string, answer: QuestionAnswer): void {
    const desk = this.running.get(key)?.desk;
    if (!desk?.pending())
      throw new FleetError(
        'conflict',
        `Agent "${name}" has no question waiting for an answer: it was answered or withdrawn, its task ended, or its CLI cannot ask (only the claude preset on the local backend asks).`,
      );
    desk.answer(id, answer);
  }

  /** Cancels the agent's running task, if any, and waits until its end is recorded. */
  async stop(key: string, record: AgentRecord, reason: string): Promise<void> {
    const active = this.running.get(key);
    if (!active) return;
    active.cancelReason ??= reason;
    if (record.agent.status === 'busy') this.options.registry.setStatus(key, record, 'canceling', null);
    await active.process.cancel();
    await active.recorded;
  }

  /** Stops following every running task and leaves them running, for the next server to follow (shutdown). */
  detachAll(): void {
    for (const [key, active] of this.running) {
      active.process.detach();
      active.desk?.release();
      active.log.release();
      this.options.logger.info(
        { agent: active.task.agent, task: active.task.id, pid: active.process.pid },
        'task left running',
      );
      this.running.delete(key);
    }
  }

  /** Stops every running task (shutdown), recording each. */
  async stopAll(reason: string): Promise<void> {
    await Promise.all(
      [...this.running.entries()].map(([key, active]) => {
        const record = this.options.registry.find(key);
        return record ? this.stop(key, record, reason) : active.recorded;
      }),
    );
  }

  /** The live line count of a running task, or undefined when it does not run. */
  liveLogLines(key: string, task: TaskRecord): number | undefined {
    const active = this.running.get(key);
    return active?.task === task ? active.log.lineCount : undefined;
  }

  liveLogLine(key: string): LogLine | undefined {
    return this.running.get(key)?.log.newestInMemory();
  }

  logSource(key: string, task: TaskRecord): LogSource {
    const active = this.running.get(key);
    if (active?.task === task)
      return { count: active.log.lineCount, read: (skip, count) => active.log.newest(count, skip) };
    return {
      count: task.log_lines,
      read: (skip, count) => readLogLines(this.options.registry.store.logFile(key, task.id), skip, count),
    };
  }

  /** Records how a task ended, with what it changed and what its CLI reported, and frees the agent. */
  private async end(key: string, record: AgentRecord, ending: EndingTask, outcome: RunOutcome): Promise<void> {
    const { task, log } = ending;
    ending.desk?.close();
    // Revoked before anything is read from its branch: what it pushes from now on is refused.
    this.options.engines?.credentials.revoke(task.id);
    // Removed before its end is told: whoever waited for it finds nothing of it left on its engine.
    if (this.options.engines && record.agent.backend !== LOCAL_BACKEND)
      await cleanupEngineTask(this.options.engines, record.agent.backend, task.id, this.options.logger);
    const summary = ending.parser?.summary() ?? NO_SUMMARY;
    const started = taskEnd(outcome, ending.role, ending.cancelReason ?? null, summary);
    Object.assign(task, await this.changes(record, ending.head, log));
    if (ending.role.autocommit && task.started_at !== null) {
      const message = leftoversMessage(record, task, started.status);
      const { autocommit, problem } = await commitTaskLeftovers(this.options.backend, this.options.logger, {
        record,
        message,
      });
      task.autocommit = autocommit;
      if (problem !== null) log.append('system', [`what the task left uncommitted was not committed: ${problem}`]);
      if (task.autocommit)
        log.append('system', [
          `committed what the task left uncommitted as ${task.autocommit.sha} (${task.autocommit.files.length} file(s))`,
        ]);
    }
    const end = reviewIfUncommitted(started, task);
    task.status = end.status;
    task.reason = end.reason;
    task.outcome = end.outcome;
    task.usage = summary.usage ?? task.usage;
    if (task.usage) this.options.ledger.add(task.usage, { project: record.agent.project, token: task.started_by });
    task.exit_code = outcome.exit_code;
    task.final_message = summary.final_message;
    task.error = summary.error;
    task.session_id = summary.session_id ?? null;
    task.ended_at = timestamp();
    task.duration_ms = task.started_at === null ? null : Date.parse(task.ended_at) - Date.parse(task.started_at);
    if (end.outcome !== 'succeeded') log.append('system', [`outcome: ${end.outcome}`]);
    log.append('system', [`task ${task.id} ${end.status}${end.reason ? `: ${end.reason}` : ''}`]);
    await log.close();
    task.log_lines = log.lineCount;
    this.running.delete(key);
    if (record.process?.task_id === task.id) record.process = null;
    if (record.agent.current_task_id === task.id) record.agent.current_task_id = null;
    const status = record.agent.status === 'busy' || record.agent.status === 'canceling' ? 'idle' : record.agent.status;
    this.options.registry.setStatus(key, record, status, record.agent.status_reason);
    // In the same step as the agent turns idle: whoever saw it idle may start a task at once and find the slot free.
    this.options.onEnded(key);
    // Only once the end is on disk: a crash before this point leaves the files for the next server to read.
    await this.options.registry.store.saved(key);
    rmSync(this.runDir(key, task.id), { recursive: true, force: true });
    this.options.logger.info(
      {
        agent: record.agent.name,
        task: task.id,
        status: task.status,
        outcome: task.outcome,
        reason: task.reason,
        usage: task.usage,
      },
      'task ended',
    );
  }

  private prepareLaunch(
    record: AgentRecord,
    role: Role,
    task: TaskRecord,
  ): PreparedLaunch | PreparedEngineLaunch | LaunchError {
    const project = this.options.projectOf(record.agent.project);
    try {
      if (record.agent.backend === LOCAL_BACKEND) return this.options.launcher.prepare(role, project);
      const parts = {
        record,
        role,
        task,
        project,
        stopGraceMs: this.options.cancelGraceMs,
        baseEnv: this.options.baseEnv,
      };
      return prepareEngineLaunch(this.options.engines, parts);
    } catch (error) {
      if (error instanceof LaunchError) return error;
      throw error;
    }
  }

  /** A sandbox that cannot be laid out (a state path that cannot be made) ends the task not started, like a missing command. */
  private async launchCommand(
    key: string,
    record: AgentRecord,
    ending: EndingTask,
    command: () => ReturnType<PreparedLaunch['command']>,
  ) {
    try {
      return command();
    } catch (error) {
      const reason = `its sandbox could not be prepared: ${(error as Error).message}`;
      await this.end(key, record, ending, notStarted(reason));
      return this.options.registry.fail(
        key,
        record,
        `${reason}; the task was not started, and restart_agent runs it once that is fixed`,
      );
    }
  }

  private runDir(key: string, taskId: string): string {
    return taskRunDir(this.options.registry.store.logDir(key), taskId);
  }

  /**
   * How a task's output is read and when it is stopped. Progress is what the parser counts as real work; a CLI's
   * stderr is progress only for plain-text roles, since the structured CLIs print their events on stdout.
   */
  private limits(
    key: string,
    run: {
      files: FollowLimits['files'];
      role: RunMeta;
      log: TaskLog;
      parser: OutputParser;
      task: TaskRecord;
      project: string;
      desk: QuestionDesk | null;
    },
  ): FollowLimits {
    const { role, log, parser, task, desk } = run;
    return {
      files: run.files,
      clock: this.options.clock,
      timeoutMs: role.timeout_ms,
      idleTimeoutMs: role.idle_timeout_ms,
      cancelDelays: { termMs: this.options.cancelGraceMs, killMs: 2 * this.options.cancelGraceMs },
      endGraceMs: this.options.endGraceMs,
      onOutput: (stream, lines) => {
        if (stream === 'stderr') {
          for (const line of lines) parser.stderrLine?.(line);
          log.append(stream, lines);
          return role.output === 'text';
        }
        const before = parser.activity().progress;
        log.append(
          stream,
          lines.flatMap((line) => parser.stdoutLine(line)),
        );
        desk?.absorb(parser.takeControl?.() ?? []);
        const activity = parser.activity();
        task.usage = activity.usage ?? task.usage;
        return activity.progress !== before;
      },
      input: desk
        ? {
            waiting: () => desk.pending() !== null,
            finished: () => parser.activity().finished,
            toolRunning: () => parser.activity().tool_running,
            close: () => desk.close(),
          }
        : undefined,
      watch: taskWatcher({
        parser,
        role,
        projectSpending: () => this.projectSpending(run.project),
        onStop: (reason) => {
          const active = this.running.get(key);
          if (active?.task === task) active.cancelReason ??= reason;
          log.append('system', [`stopping the task: ${reason}`]);
        },
      }),
    };
  }

  private questionDesk(key: string, task: TaskRecord, files: FollowLimits['files'], log: TaskLog): QuestionDesk {
    return new QuestionDesk({
      taskId: task.id,
      fifo: files.stdin,
      stateFile: files.questions,
      log: (lines) => log.append('system', lines),
      onChange: () => this.options.registry.changed(key),
    });
  }

  private projectSpending(project: string): ProjectSpending | null {
    const budget = this.options.projectOf(project)?.budget;
    return budget ? { project, budget, spent: this.options.ledger.project(project) } : null;
  }

  /** Records the task's end once its process is done; nobody awaits a task that ends on its own, so a failure is logged. */
  private follow(key: string, record: AgentRecord, active: ActiveTask): void {
    active.recorded = active.process.done
      .then((outcome) => this.end(key, record, active, outcome))
      .catch((error: unknown) =>
        this.options.logger.error(
          { agent: record.agent.name, task: active.task.id, err: error },
          'could not record the end of a task',
        ),
      );
    this.running.set(key, active);
  }

  /** A failure to read git (or to fetch the agent's branch) leaves the change fields empty, with the reason in the log. */
  private async changes(record: AgentRecord, head: string | null, log: TaskLog): Promise<Partial<TaskRecord>> {
    try {
      return await this.options.backend.taskChanges(record, head);
    } catch (error) {
      const message = (error as Error).message;
      this.options.logger.warn({ agent: record.agent.name, error: message }, 'could not read what a task changed');
      log.append('system', [`what the task changed could not be read: ${message}`]);
      return {};
    }
  }
}

function notStarted(reason: string): RunOutcome {
  return { exit_code: null, signal: null, stopped: null, spawn_error: reason, lost: false };
}

function runMeta(role: Role): RunMeta {
  const {
    name,
    output,
    timeout,
    timeout_ms,
    idle_timeout,
    idle_timeout_ms,
    provider_stall,
    provider_stall_ms,
    budget,
    autocommit,
    questions,
  } = role;
  return {
    name,
    output,
    timeout,
    timeout_ms,
    idle_timeout,
    idle_timeout_ms,
    provider_stall,
    provider_stall_ms,
    budget,
    autocommit,
    questions,
  };
}
