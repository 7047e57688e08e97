import type { FailureKind, OutputSummary } from './output/index.js';
import type { RunOutcome } from './runner.js';
import type { Role, TaskOutcome, TaskRecord, TaskStatus } from '../types.js';

export const LOST_REASON =
  'its process ended without recording an exit status (killed together with its supervisor, or the machine restarted)';

export type TaskEnd = Pick<TaskRecord, 'status' | 'reason'> & { outcome: TaskOutcome };

const FAILURE_OUTCOMES: Record<FailureKind, TaskOutcome> = {
  provider: 'provider_error',
  agent: 'agent_error',
  refused: 'write_refused',
  tool: 'tool_failed',
};

/**
 * How a task ended, in the words of its record. An error the CLI reported in its output fails the task even when
 * the CLI exited 0: a refused permission, a refused write, a tool call that failed for good or an API error is not
 * work done. `stopReason` says why the fleet stopped it (a cancel, a stalled provider, a budget).
 */
export function taskEnd(
  outcome: RunOutcome,
  role: Pick<Role, 'timeout' | 'idle_timeout'>,
  stopReason: string | null,
  summary: OutputSummary,
): TaskEnd {
  if (outcome.spawn_error !== null) return failed('not_started', `could not start: ${outcome.spawn_error}`);
  if (outcome.lost) return failed('lost', LOST_REASON);
  switch (outcome.stopped) {
    case 'canceled':
      return { status: 'canceled', reason: stopReason ?? 'canceled', outcome: 'canceled' };
    case 'timed_out':
      return failed('timed_out', `timed out after ${role.timeout}`);
    case 'idle':
      return failed('no_output', `no output for ${role.idle_timeout}`);
    case 'stalled':
      return failed('provider_stalled', stopReason ?? 'the model API gave no answer');
    case 'over_budget':
      return failed('over_budget', stopReason ?? 'over budget');
    case 'finished':
    case null:
      break;
  }
  const kind = summary.failure ?? (summary.error === null ? null : 'agent');
  const reported = summary.error === null ? '' : `: ${summary.error}`;
  // Stopped after its result, which says how it went; the exit its stop caused says nothing.
  if (outcome.exit_code === 0 || outcome.stopped === 'finished')
    return kind === null
      ? { status: 'completed', reason: null, outcome: 'succeeded' }
      : failed(FAILURE_OUTCOMES[kind], summary.error);
  const exit = outcome.exit_code !== null ? `exit code ${outcome.exit_code}` : `killed by signal ${outcome.signal}`;
  return failed(kind === null ? 'exit_error' : FAILURE_OUTCOMES[kind], `${exit}${reported}`);
}

function failed(outcome: TaskOutcome, reason: string | null): TaskEnd {
  return { status: 'failed' satisfies TaskStatus, reason, outcome };
}

// "commit" as something to do; a text that says not to commit never asks for one.
const ASKS_COMMIT = /\bcommit(s|ted)?\b/i;
const FORBIDS_COMMIT = /\b(do not|don't|dont|never|no|not|without)\b[^.\n]{0,20}\bcommit/i;

/**
 * Whether a task's text asks for a commit: it says "commit" and nowhere says not to. Deliberately plain: a false
 * "yes" costs a `needs_review` that a look at the branch settles, and the text is the only word of what was asked.
 */
export function asksForCommit(description: string): boolean {
  return ASKS_COMMIT.test(description) && !FORBIDS_COMMIT.test(description);
}

/**
 * A task that completed in a git project, asked for a commit and made none needs review: its work is at best in
 * the commit fleet-mcp made of what it left, at worst nowhere.
 */
export function reviewIfUncommitted(
  end: TaskEnd,
  task: Pick<TaskRecord, 'description' | 'head_at_start' | 'commits' | 'autocommit'>,
): TaskEnd {
  if (end.outcome !== 'succeeded' || task.head_at_start === null || task.commits === null) return end;
  if (task.commits.length > 0 || !asksForCommit(task.description)) return end;
  const saved = task.autocommit
    ? `; fleet-mcp committed what it left uncommitted as ${task.autocommit.sha.slice(0, 12)}`
    : '';
  return {
    status: 'completed',
    reason: `the task asked for a commit and the agent made none${saved}`,
    outcome: 'needs_review',
  };
}
