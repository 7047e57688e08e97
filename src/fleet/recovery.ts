import { existsSync } from 'node:fs';
import { forgetAgent } from './agents/forget.js';
import { isLeftoverGroup } from './tasks/group-end.js';
import type { FleetLogger } from './logger.js';
import { agentKey } from './agents/names.js';
import { isSameProcessAlive, signalGroup } from './tasks/process-group.js';
import type { AgentRecord, Store } from './store.js';
import { readRunMeta, runFiles, taskRunDir } from './tasks/supervisor/run-files.js';
import { appendToTaskLogFile, readTaskLogFile } from './logs/task-log.js';
import type { TaskRecord } from './types.js';

const SERVER_RESTARTED = 'server restarted';

/** A task the previous run started that can be followed again: its supervisor's files are in place. */
export interface ResumableTask {
  key: string;
  record: AgentRecord;
  task: TaskRecord;
}

export interface RecoveredState {
  /** Running tasks to follow again. */
  running: ResumableTask[];
  /** Tasks that waited for a busy slot, oldest first, to queue again. */
  queued: ResumableTask[];
}

/**
 * Settles what the previous run left unfinished. A running task started through a supervisor is left as it is and
 * returned, to be followed again (whether it still runs or ended meanwhile); so is a task that waited for a busy slot
 * of a pending agent, to wait again. Any other running task (one started by an older version, whose output went
 * through pipes) cannot be followed: it ends failed, "server restarted", and a process of it still alive is killed
 * so the agent is truly free; so does a queued task of an agent that was still being set up. Deletes under way are
 * completed; agents become idle, or failed when their directory is gone.
 */
export async function recoverState(store: Store, logger: FleetLogger): Promise<RecoveredState> {
  const now = new Date().toISOString();
  const running: ResumableTask[] = [];
  const queued: ResumableTask[] = [];
  for (const record of store.all()) {
    const key = agentKey(record.agent.name);
    if (record.agent.status === 'deleting') {
      await forgetAgent(store, key, record, logger);
      continue;
    }
    const follow = followable(store, key, record);
    if (follow) {
      running.push({ key, record, task: follow });
      continue;
    }
    const waiting = waitingTask(record);
    if (waiting) {
      queued.push({ key, record, task: waiting });
      continue;
    }
    const orphans = record.tasks.filter((task) => task.status === 'running' || task.status === 'queued');
    killOrphanProcess(record);
    for (const task of orphans) endOrphan(store.logFile(key, task.id), task, now);
    const changed = settleAgent(record, now);
    if (orphans.length > 0 || changed) {
      store.save(key);
      logger.warn(
        { agent: record.agent.name, tasks: orphans.map((task) => task.id) },
        'recovered agent after a server restart',
      );
    }
  }
  queued.sort((a, b) => a.task.created_at.localeCompare(b.task.created_at));
  return { running, queued };
}

/** The task a pending agent waited to run: the queue was in memory, the task and its place in line are in the record. */
function waitingTask(record: AgentRecord): TaskRecord | null {
  if (record.agent.status !== 'pending' || record.process !== null) return null;
  const task = record.tasks.at(-1);
  return task?.status === 'queued' && task.id === record.agent.current_task_id ? task : null;
}

/** The agent's task to follow again: the running one its process belongs to, if its supervisor left its files. */
function followable(store: Store, key: string, record: AgentRecord): TaskRecord | null {
  const { process } = record;
  const task = record.tasks.find((candidate) => candidate.status === 'running' && candidate.id === process?.task_id);
  if (!task || task.started_at === null) return null;
  return readRunMeta(runFiles(taskRunDir(store.logDir(key), task.id))) ? task : null;
}

function killOrphanProcess(record: AgentRecord): void {
  const { process } = record;
  if (
    process?.pid != null &&
    (isSameProcessAlive(process.pid, process.pid_start) || isLeftoverGroup(process.pid, process.pid_start))
  ) {
    signalGroup(process.pid, 'SIGKILL');
  }
  record.process = null;
}

function endOrphan(logFile: string, task: TaskRecord, now: string): void {
  task.status = 'failed';
  task.outcome = 'lost';
  task.reason = SERVER_RESTARTED;
  task.ended_at = now;
  appendToTaskLogFile(logFile, {
    time: now,
    stream: 'system',
    text: `task ${task.id} failed: ${SERVER_RESTARTED}`,
    task_id: task.id,
  });
  task.log_lines = readTaskLogFile(logFile).length;
}

/** Returns whether the agent's status had to change. */
function settleAgent(record: AgentRecord, now: string): boolean {
  const { agent } = record;
  const before = `${agent.status}|${agent.status_reason}|${agent.current_task_id}`;
  if (agent.status === 'starting' && record.tasks.every((task) => task.started_at === null)) {
    agent.status = 'failed';
    agent.status_reason = `the server stopped while the agent was being created; call restart_agent to finish setting it up and run its task`;
  } else if (
    agent.status === 'starting' ||
    agent.status === 'pending' ||
    agent.status === 'busy' ||
    agent.status === 'canceling'
  ) {
    agent.status = 'idle';
    agent.status_reason = null;
  }
  if (agent.status === 'idle' && !existsSync(agent.workdir)) {
    agent.status = 'failed';
    agent.status_reason = `its working directory ${agent.workdir} is missing; call restart_agent to recreate it`;
  }
  agent.current_task_id = null;
  const changed = before !== `${agent.status}|${agent.status_reason}|${agent.current_task_id}`;
  if (changed) agent.updated_at = now;
  return changed;
}
