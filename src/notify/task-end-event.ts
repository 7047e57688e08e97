import type { TaskRecord } from '../fleet/types.js';

/** Task statuses that end a task. */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'canceled']);

// A task's text and final message can be long; a notice needs their start.
const MAX_TEXT_CHARS = 2000;

/**
 * What a notice says about a task that ended. Built field by field from the record, so nothing else (no token, no
 * secret, no environment) can ride along: the task names who started it only by the token's name.
 */
export interface TaskEndEvent {
  event: 'task_ended';
  agent: string;
  project: string;
  role: string;
  task: {
    id: string;
    status: string;
    reason: string | null;
    description: string;
    started_by: string | null;
    started_at: string | null;
    ended_at: string | null;
    duration_ms: number | null;
    commits: number | null;
    final_message: string | null;
  };
}

export function taskEndEvent(agent: { name: string; project: string; role: string }, task: TaskRecord): TaskEndEvent {
  return {
    event: 'task_ended',
    agent: agent.name,
    project: agent.project,
    role: agent.role,
    task: {
      id: task.id,
      status: task.status,
      reason: task.reason,
      description: cut(task.description),
      started_by: task.started_by,
      started_at: task.started_at,
      ended_at: task.ended_at,
      duration_ms: task.duration_ms,
      commits: task.commits === null ? null : task.commits.length,
      final_message: task.final_message === null ? null : cut(task.final_message),
    },
  };
}

function cut(text: string): string {
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS)}…`;
}
