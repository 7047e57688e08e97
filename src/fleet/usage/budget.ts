import * as z from 'zod';
import { totalTokens, type TaskUsage, type UsageTotals } from './task-usage.js';

/** A spending limit: in dollars as the CLI reports cost, in tokens (input, output and cache together), or both. */
export interface Budget {
  usd: number | null;
  tokens: number | null;
}

/** `budget` of a project (all its tasks together) or of a role (each task): `{ "usd": 5 }`, `{ "tokens": 2000000 }`. */
export const budgetSchema = z
  .strictObject(
    {
      usd: z
        .number({ error: 'budget.usd must be a number of dollars above zero, e.g. 5' })
        .positive({ error: 'budget.usd must be above zero' })
        .optional(),
      tokens: z
        .number({ error: 'budget.tokens must be a whole number of tokens above zero, e.g. 2000000' })
        .int({ error: 'budget.tokens must be a whole number' })
        .positive({ error: 'budget.tokens must be above zero' })
        .optional(),
    },
    { error: 'budget must be an object with usd and/or tokens, e.g. { "usd": 5 }' },
  )
  .refine((budget) => budget.usd !== undefined || budget.tokens !== undefined, {
    error: 'budget must set usd, tokens or both',
  })
  .transform((budget): Budget => ({ usd: budget.usd ?? null, tokens: budget.tokens ?? null }));

/**
 * Why `spent` is over `budget`, or null when it is not. A dollar budget is held only against the cost a CLI
 * reports (claude, opencode); for the others only a token budget can stop a task.
 */
export function overBudget(
  budget: Budget,
  spent: Pick<
    UsageTotals | TaskUsage,
    'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'cost_usd'
  >,
  what: string,
): string | null {
  const tokens = totalTokens(spent);
  if (budget.tokens !== null && tokens > budget.tokens)
    return `${what} used ${tokens} tokens, over its budget of ${budget.tokens}`;
  const usd = spent.cost_usd ?? 0;
  if (budget.usd !== null && usd > budget.usd)
    return `${what} cost $${usd.toFixed(4)}, over its budget of $${budget.usd}`;
  return null;
}
