import { FleetError } from '../errors.js';

export const MAX_TASK_CHARS = 100_000;

/** Refuses a task text that no agent could act on or no command argument could hold. */
export function assertTaskText(task: string): void {
  if (typeof task !== 'string' || task.trim() === '') {
    throw new FleetError('invalid_argument', 'The task description is empty: say what the agent should do.');
  }
  if (task.length > MAX_TASK_CHARS) {
    throw new FleetError(
      'invalid_argument',
      `The task description has ${task.length} characters; at most ${MAX_TASK_CHARS} fit in one command argument.`,
    );
  }
  if (task.includes('\0'))
    throw new FleetError(
      'invalid_argument',
      'The task description contains a NUL character, which no command argument can hold.',
    );
}
