import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AgentRegistry } from './agent-registry.js';
import { timestamp } from './agent-registry.js';
import type { FleetBackend } from './backend.js';
import { childEnv } from './child-env.js';
import { findExecutable } from './executables.js';
import type { LogSource } from './log-pages.js';
import type { FleetLogger } from './logger.js';
import { agentKey } from './names.js';
import { taskArgv } from './roles.js';
import type { RunOutcome, RunningProcess } from './runner.js';
import type { AgentRecord } from './store.js';
import { DEFAULT_LOG_CAP_BYTES, readTaskLogFile, TaskLog } from './task-log.js';
import { taskEnd } from './task-outcome.js';
import type { Role, TaskRecord } from './types.js';

export interface TaskRunsOptions {
  registry: AgentRegistry;
  backend: FleetBackend;
  logger: FleetLogger;
  /** The server's environment; agents get it minus the server's own variables. */
  baseEnv: NodeJS.ProcessEnv;
  /** After SIGINT, the wait before SIGTERM; SIGKILL follows after twice this. */
  cancelGraceMs: number;
  logCapBytes?: number;
}

interface ActiveTask {
  task: TaskRecord;
  role: Role;
  log: TaskLog;
  process: RunningProcess;
  cancelReason: string | null;
  /** Settles once the end of the task is recorded. */
  recorded: Promise<void>;
}

type EndingTask = Pick<ActiveTask, 'task' | 'role' | 'log'> & { cancelReason?: string | null };

/** The tasks that run now: starting one, recording how it ended, stopping it, and their live views. */
export class TaskRuns {
  private readonly running = new Map<string, ActiveTask>();

  constructor(private readonly options: TaskRunsOptions) {}

  /** Agent keys with a running task. */
  keys(): string[] {
    return [...this.running.keys()];
  }

  active(key: string): { task: TaskRecord } | undefined {
    return this.running.get(key);
  }

  /** Starts one task; the agent is busy once this returns. A missing command fails the task and the agent. */
  async launch(key: string, record: AgentRecord, role: Role, description: string): Promise<void> {
    const registry: AgentRegistry = this.options.registry;
    const task = newTask(record.agent.name, description);
    const log = new TaskLog({ file: registry.store.logFile(key, task.id), taskId: task.id, capBytes: this.options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES });
    const argv = taskArgv(role, description);
    const env = childEnv(this.options.baseEnv, role.env);
    record.tasks.push(task);
    log.append('system', [`task ${task.id} started with role "${role.name}" in ${record.agent.workdir}`]);
    if (!existsSync(record.agent.workdir)) {
      const reason = `its working directory ${record.agent.workdir} is missing`;
      this.end(key, record, { task, role, log }, spawnFailure(reason));
      registry.fail(key, record, reason);
    }
    if (!findExecutable(argv[0]!, { pathEnv: env.PATH, cwd: record.agent.workdir })) {
      this.end(key, record, { task, role, log }, spawnFailure(`command "${argv[0]}" was not found on PATH`));
      registry.fail(key, record, `the command "${argv[0]}" of role "${role.name}" was not found on PATH`);
    }
    const child = this.options.backend.startProcess({
      argv,
      cwd: record.agent.workdir,
      env,
      timeoutMs: role.timeout_ms,
      cancelDelays: { termMs: this.options.cancelGraceMs, killMs: 2 * this.options.cancelGraceMs },
      onOutput: (stream, lines) => log.append(stream, lines),
    });
    if (child.pid === null) {
      const outcome = await child.done;
      this.end(key, record, { task, role, log }, outcome);
      registry.fail(key, record, `the command of role "${role.name}" could not be started: ${outcome.spawn_error}`);
    }
    record.process = { task_id: task.id, pid: child.pid, pid_start: child.pidStart };
    const active: ActiveTask = { task, role, log, process: child, cancelReason: null, recorded: Promise.resolve() };
    // A task that ends on its own has nobody awaiting it, so a failure to record it is logged rather than lost.
    active.recorded = child.done
      .then((outcome) => this.end(key, record, active, outcome))
      .catch((error: unknown) => this.options.logger.error({ agent: record.agent.name, task: task.id, err: error }, 'could not record the end of a task'));
    this.running.set(key, active);
    record.agent.current_task_id = task.id;
    registry.setStatus(key, record, 'busy', null);
    this.options.logger.info({ agent: record.agent.name, task: task.id, pid: child.pid }, 'task started');
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

  /** Stops every running task (shutdown), recording each. */
  async stopAll(reason: string): Promise<void> {
    await Promise.all(
      [...this.running.entries()].map(([key, active]) => {
        const record = this.options.registry.find(key);
        return record ? this.stop(key, record, reason) : active.recorded;
      }),
    );
  }

  /** A copy of the task whose line count is live while it runs. */
  view(task: TaskRecord): TaskRecord {
    const active = this.running.get(agentKey(task.agent));
    return { ...task, log_lines: active?.task === task ? active.log.lineCount : task.log_lines };
  }

  logSource(key: string, task: TaskRecord): LogSource {
    const active = this.running.get(key);
    if (active?.task === task) return { count: active.log.lineCount, read: () => active.log.lines() };
    return { count: task.log_lines, read: () => readTaskLogFile(this.options.registry.store.logFile(key, task.id)) };
  }

  /** Records how a task ended and frees the agent. */
  private end(key: string, record: AgentRecord, ending: EndingTask, outcome: RunOutcome): void {
    const { task, log } = ending;
    const end = taskEnd(outcome, ending.role, ending.cancelReason ?? null);
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
    this.options.registry.setStatus(key, record, status, record.agent.status_reason);
    this.options.logger.info({ agent: record.agent.name, task: task.id, status: task.status, reason: task.reason }, 'task ended');
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

function spawnFailure(reason: string): RunOutcome {
  return { exit_code: null, signal: null, stopped: null, spawn_error: reason };
}
