import type { PageWindow } from '../pagination.js';
import type { LogLine } from '../types.js';

/** One task's share of an agent's log: how many lines it has (from the index) and how to read some of them. */
export interface LogSource {
  count: number;
  /** The `count` lines before the `skip` newest, oldest first. */
  read(skip: number, count: number): Promise<LogLine[]>;
}

/**
 * One page of an agent's log, newest line first, across its tasks (given newest task first). The line counts of
 * the index tell which tasks hold the page, so only those are read, and of them only the lines on the page.
 */
export async function logPage(
  sources: readonly LogSource[],
  window: PageWindow,
): Promise<{ items: LogLine[]; total: number }> {
  const total = sources.reduce((sum, source) => sum + source.count, 0);
  const items: LogLine[] = [];
  let skip = window.offset;
  for (const source of sources) {
    if (items.length >= window.pageSize) break;
    if (skip >= source.count) {
      skip -= source.count;
      continue;
    }
    const wanted = Math.min(window.pageSize - items.length, source.count - skip);
    items.push(...(await source.read(skip, wanted)).reverse());
    skip = 0;
  }
  return { items, total };
}
