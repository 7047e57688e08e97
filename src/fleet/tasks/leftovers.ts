import type { FleetBackend } from '../backend.js';
import type { FleetLogger } from '../logger.js';
import type { AgentRecord } from '../store.js';
import type { TaskRecord, TaskStatus } from '../types.js';

const SUBJECT_TASK_CHARS = 60;

/** The commit message of what a task left uncommitted: the task's first line, and its id and end in the body. */
export function leftoversMessage(record: AgentRecord, task: TaskRecord, status: TaskStatus): string {
  const firstLine = task.description.trim().split('\n')[0]!.trim();
  const shown = firstLine.length > SUBJECT_TASK_CHARS ? `${firstLine.slice(0, SUBJECT_TASK_CHARS - 3)}...` : firstLine;
  return (
    `fleet-mcp: uncommitted work of task "${shown}"\n\n` +
    `Task ${task.id} of agent ${record.agent.name} ended ${status} and left these changes uncommitted; ` +
    'fleet-mcp committed them so that nothing is lost.'
  );
}

/**
 * Commits what the agent left uncommitted, for the task's record. A failure is logged, its reason returned for the
 * task's log, and leaves the changes where they are (delete_agent still refuses to lose them); it never hides how
 * the task itself ended.
 */
export async function commitTaskLeftovers(
  backend: FleetBackend,
  logger: FleetLogger,
  options: { record: AgentRecord; message: string },
): Promise<{ autocommit: TaskRecord['autocommit']; problem: string | null }> {
  try {
    const commit = await backend.commitLeftovers(options.record, options.message);
    return { autocommit: commit === null ? null : { sha: commit.sha, files: commit.files }, problem: null };
  } catch (error) {
    const problem = (error as Error).message;
    logger.warn({ agent: options.record.agent.name, error: problem }, 'could not commit what a task left uncommitted');
    return { autocommit: null, problem };
  }
}
