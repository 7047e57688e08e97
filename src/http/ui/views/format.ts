import type { UsageTotals } from '../../../fleet/usage/task-usage.js';

/** How long ago an ISO time was, in the largest whole unit: 45s, 12m, 3h, 2d. */
export function age(iso: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** The cost the CLIs reported, and how many tasks reported none. */
export function cost(usage: UsageTotals): string {
  if (usage.tasks === 0) return '—';
  const unknown = usage.tasks_without_cost > 0 ? ` (+${usage.tasks_without_cost} without cost)` : '';
  return `$${usage.cost_usd.toFixed(2)}${unknown}`;
}

/** Agent text is shown whole up to this many characters a line: a page of 64 KiB lines must stay small. */
export const MAX_SHOWN_CHARS = 2_000;

export function shortened(text: string, max = MAX_SHOWN_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
