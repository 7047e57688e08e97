import { existsSync } from 'node:fs';
import { forgetAgent } from './forget.js';
import { isLeftoverGroup } from './group-end.js';
import type { FleetLogger } from './logger.js';
import { agentKey } from './names.js';
import { isSameProcessAlive, signalGroup } from './process-group.js';
import type { AgentRecord, Store } from './store.js';
import { appendToTaskLogFile, readTaskLogFile } from './task-log.js';
import type { TaskRecord } from './types.js';

const SERVER_RESTARTED = 'server restarted';

/**
 * Settles what the previous run left unfinished. Its tasks lost their output pipes with it, so they cannot be
 * followed: each ends failed, "server restarted", and a process of it still alive is killed so the agent is truly
 * free. Deletes under way are completed; agents become idle, or failed when their directory is gone.
 */
export async function recoverState(store: Store, logger: FleetLogger): Promise<void> {
  const now = new Date().toISOString();
  for (const record of store.all()) {
    const key = agentKey(record.agent.name);
    if (record.agent.status === 'deleting') {
      await forgetAgent(store, key, record, logger);
      continue;
    }
    const orphans = record.tasks.filter((task) => task.status === 'running' || task.status === 'queued');
    killOrphanProcess(record);
    for (const task of orphans) endOrphan(store.logFile(key, task.id), task, now);
    const changed = settleAgent(record, now);
    if (orphans.length > 0 || changed) {
      store.save(key);
      logger.warn({ agent: record.agent.name, tasks: orphans.map((task) => task.id) }, 'recovered agent after a server restart');
    }
  }
}

function killOrphanProcess(record: AgentRecord): void {
  const { process } = record;
  if (process && (isSameProcessAlive(process.pid, process.pid_start) || isLeftoverGroup(process.pid, process.pid_start))) {
    signalGroup(process.pid, 'SIGKILL');
  }
  record.process = null;
}

function endOrphan(logFile: string, task: TaskRecord, now: string): void {
  task.status = 'failed';
  task.reason = SERVER_RESTARTED;
  task.ended_at = now;
  appendToTaskLogFile(logFile, { time: now, stream: 'system', text: `task ${task.id} failed: ${SERVER_RESTARTED}`, task_id: task.id });
  task.log_lines = readTaskLogFile(logFile).length;
}

/** Returns whether the agent's status had to change. */
function settleAgent(record: AgentRecord, now: string): boolean {
  const { agent } = record;
  const before = `${agent.status}|${agent.status_reason}|${agent.current_task_id}`;
  if (agent.status === 'starting' && record.tasks.every((task) => task.started_at === null)) {
    agent.status = 'failed';
    agent.status_reason = `the server stopped while the agent was being created; call restart_agent to finish setting it up and run its task`;
  } else if (agent.status === 'starting' || agent.status === 'pending' || agent.status === 'busy' || agent.status === 'canceling') {
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
