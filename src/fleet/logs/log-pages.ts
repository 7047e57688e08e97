import type { PageWindow } from '../pagination.js';
import type { LogLine } from '../types.js';

/** One task's share of an agent's log: how many lines it has (from the index) and how to read its newest ones, oldest first. */
export interface LogSource {
  count: number;
  readNewest(count: number): LogLine[];
}

/**
 * One page of an agent's log, newest line first, across its tasks (given newest task first). The line counts of
 * the index tell which tasks hold the page, so only those are read, and of them only as far back as the page goes.
 */
export function logPage(sources: readonly LogSource[], window: PageWindow): { items: LogLine[]; total: number } {
  const total = sources.reduce((sum, source) => sum + source.count, 0);
  const items: LogLine[] = [];
  let skip = window.offset;
  for (const source of sources) {
    if (items.length >= window.pageSize) break;
    if (skip >= source.count) {
      skip -= source.count;
      continue;
    }
    const wanted = window.pageSize - items.length;
    const newestFirst = source.readNewest(skip + wanted).reverse();
    items.push(...newestFirst.slice(skip, skip + wanted));
    skip = 0;
  }
  return { items, total };
}
