/**
 * Tokens and cost of one task, as its CLI's structured output reports them. Input tokens are those the model
 * read fresh; tokens read from or written to the provider's prompt cache are counted apart (each CLI's own
 * fields are mapped to these in its parser).
 */
export interface TaskUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** The cost the CLI reported (claude, opencode); null when its output carries none (codex, gemini). */
  cost_usd: number | null;
}

/** Sums of the usage of many tasks: per agent, project or token. */
export interface UsageTotals {
  /** Tasks whose CLI reported usage. */
  tasks: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** The sum of the costs reported; tasks_without_cost says how many tasks had usage but no cost. */
  cost_usd: number;
  tasks_without_cost: number;
}

export function emptyUsage(): TaskUsage {
  return { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: null };
}

export function emptyTotals(): UsageTotals {
  return {
    tasks: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: 0,
    tasks_without_cost: 0,
  };
}

/** Every token a task used, counted once: what a token budget is held against. */
export function totalTokens(
  usage: Pick<TaskUsage, 'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_write_tokens'>,
): number {
  return usage.input_tokens + usage.output_tokens + usage.cache_read_tokens + usage.cache_write_tokens;
}

/** `totals` with one more task's usage added (a new object). */
export function addUsage(totals: UsageTotals, usage: TaskUsage): UsageTotals {
  return {
    tasks: totals.tasks + 1,
    input_tokens: totals.input_tokens + usage.input_tokens,
    output_tokens: totals.output_tokens + usage.output_tokens,
    cache_read_tokens: totals.cache_read_tokens + usage.cache_read_tokens,
    cache_write_tokens: totals.cache_write_tokens + usage.cache_write_tokens,
    cost_usd: roundUsd(totals.cost_usd + (usage.cost_usd ?? 0)),
    tasks_without_cost: totals.tasks_without_cost + (usage.cost_usd === null ? 1 : 0),
  };
}

export function sumUsage(usages: Iterable<TaskUsage | null>): UsageTotals {
  let totals = emptyTotals();
  for (const usage of usages) if (usage) totals = addUsage(totals, usage);
  return totals;
}

/** Sums of floats drift; a micro-dollar is finer than any provider bills. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A whole, non-negative token count from a CLI's event, or 0 when the field is missing or odd. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

export function costUsd(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}
