import type { OutputParser } from './output/index.js';
import type { WatchStop } from './runner.js';
import type { RunMeta } from './supervisor/run-files.js';
import { overBudget, type Budget } from '../usage/budget.js';
import { addUsage, type TaskUsage, type UsageTotals } from '../usage/task-usage.js';

/** A project's budget and what its tasks spent before the one watched. */
export interface ProjectSpending {
  project: string;
  budget: Budget;
  spent: UsageTotals;
}

export interface TaskWatchOptions {
  parser: OutputParser;
  role: Pick<RunMeta, 'provider_stall' | 'provider_stall_ms' | 'budget'>;
  /** Read on every poll, so a reloaded config counts; null when the project has no budget. */
  projectSpending(): ProjectSpending | null;
  /** Told why, just before the runner stops the task. */
  onStop(reason: string): void;
}

/**
 * What the fleet checks while a task runs: a model API that keeps failing (or never answers) while the CLI waits
 * on it, past the role's provider_stall; a task over its role's budget, or its project over the project's.
 */
export function taskWatcher(options: TaskWatchOptions): (silentMs: number) => WatchStop | null {
  return (silentMs) => {
    const activity = options.parser.activity();
    const stall = options.role.provider_stall_ms;
    if (activity.waiting_on_provider && stall !== null && silentMs >= stall) {
      const error = activity.provider_error ?? 'no reply and no retry notice';
      options.onStop(`the model API gave no usable answer for ${options.role.provider_stall}: ${error}`);
      return 'stalled';
    }
    // Once the CLI reported its result it has spent what it spends: stopping it would only lose its end.
    const over = activity.usage === null || activity.finished ? null : budgetProblem(activity.usage, options);
    if (over === null) return null;
    options.onStop(over);
    return 'over_budget';
  };
}

function budgetProblem(usage: TaskUsage, options: TaskWatchOptions): string | null {
  const byRole = options.role.budget === null ? null : overBudget(options.role.budget, usage, 'the task');
  if (byRole !== null) return `${byRole} (its role's budget)`;
  const spending = options.projectSpending();
  if (spending === null) return null;
  return overBudget(spending.budget, addUsage(spending.spent, usage), `project "${spending.project}"`);
}

/** Why a project can start no task: its budget is spent already. */
export function projectOverBudget(spending: ProjectSpending | null): string | null {
  if (spending === null) return null;
  return overBudget(spending.budget, spending.spent, `project "${spending.project}"`);
}
