import type { RunOutcome } from './runner.js';
import type { Role, TaskRecord } from './types.js';

/** How a task ended, in the words of its record. */
export function taskEnd(outcome: RunOutcome, role: Role, cancelReason: string | null): Pick<TaskRecord, 'status' | 'reason'> {
  if (outcome.spawn_error !== null) return { status: 'failed', reason: `could not start: ${outcome.spawn_error}` };
  if (outcome.stopped === 'canceled') return { status: 'canceled', reason: cancelReason ?? 'canceled' };
  if (outcome.stopped === 'timed_out') return { status: 'failed', reason: `timed out after ${role.timeout}` };
  if (outcome.exit_code === 0) return { status: 'completed', reason: null };
  if (outcome.exit_code !== null) return { status: 'failed', reason: `exit code ${outcome.exit_code}` };
  return { status: 'failed', reason: `killed by signal ${outcome.signal}` };
}
