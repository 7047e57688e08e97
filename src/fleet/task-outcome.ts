import type { OutputSummary } from './agent-output/index.js';
import type { RunOutcome } from './runner.js';
import type { Role, TaskRecord } from './types.js';

export const LOST_REASON = 'its process ended without recording an exit status (killed together with its supervisor, or the machine restarted)';

/**
 * How a task ended, in the words of its record. An error the CLI reported in its output fails the task even when
 * the CLI exited 0: a refused permission or an API error is not work done.
 */
export function taskEnd(outcome: RunOutcome, role: Pick<Role, 'timeout' | 'idle_timeout'>, cancelReason: string | null, summary: OutputSummary): Pick<TaskRecord, 'status' | 'reason'> {
  if (outcome.spawn_error !== null) return { status: 'failed', reason: `could not start: ${outcome.spawn_error}` };
  if (outcome.lost) return { status: 'failed', reason: LOST_REASON };
  if (outcome.stopped === 'canceled') return { status: 'canceled', reason: cancelReason ?? 'canceled' };
  if (outcome.stopped === 'timed_out') return { status: 'failed', reason: `timed out after ${role.timeout}` };
  if (outcome.stopped === 'idle') return { status: 'failed', reason: `no output for ${role.idle_timeout}` };
  const reported = summary.error === null ? '' : `: ${summary.error}`;
  if (outcome.exit_code === 0) return summary.error === null ? { status: 'completed', reason: null } : { status: 'failed', reason: summary.error };
  if (outcome.exit_code !== null) return { status: 'failed', reason: `exit code ${outcome.exit_code}${reported}` };
  return { status: 'failed', reason: `killed by signal ${outcome.signal}${reported}` };
}
