import { LOCAL_BACKEND } from '../backends/backends-config.js';
import { timestamp } from './agent-registry.js';
import { FleetError } from '../errors.js';
import type { Project } from '../projects.js';
import type { LastOutcome } from '../fleet-api.js';
import type { AgentRecord } from '../store.js';
import { UNSET_TASK_FIELDS } from '../tasks/task-runs.js';
import { AGENT_STATUSES, type AgentBase, type AgentStatus, type Role, type TaskRecord } from '../types.js';

/** Fields a task recorded by an earlier version lacks. */
export function taskDefaults(task: TaskRecord): Partial<TaskRecord> {
  return { ...UNSET_TASK_FIELDS, created_at: task.started_at ?? undefined };
}

export function newAgentRecord(
  name: string,
  project: Project,
  role: Role,
  base: AgentBase | null,
  by: string | null,
): AgentRecord {
  const backend = role.backend ?? project.backend ?? LOCAL_BACKEND;
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
      backend,
      created_at: now,
      updated_at: now,
    },
    tasks: [],
    git: null,
    process: null,
    setup_pending: project.setup !== undefined,
    ran_sandboxed: false,
  };
}

export function lastOutcome(record: AgentRecord): LastOutcome | null {
  const last = record.tasks.at(-1);
  return last ? { task_id: last.id, status: last.status, outcome: last.outcome, reason: last.reason } : null;
}

export function lastTaskSummary(record: AgentRecord): string {
  const last = record.tasks.at(-1);
  if (!last) return 'It has run no task yet.';
  return `Its last task ended ${last.status}${last.reason ? ` (${last.reason})` : ''} at ${last.ended_at}.`;
}

export function parseStatus(text: string): AgentStatus {
  const status = AGENT_STATUSES.find((candidate) => candidate === text.trim().toLowerCase());
  if (status) return status;
  throw new FleetError(
    'invalid_argument',
    `Unknown status ${JSON.stringify(text)}. Valid statuses: ${AGENT_STATUSES.join(', ')}.`,
  );
}
