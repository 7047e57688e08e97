import { setTimeout as sleep } from 'node:timers/promises';
import { visible } from '../mcp/visible-text.js';
import type { FleetClient } from './fleet-client.js';
import { out, withFleet, type FleetFlags } from './with-fleet.js';

interface LogPage {
  /** Newest first. */
  lines: { time: string; stream: string; text: string }[];
  total_count: number;
}

export interface LogsFlags extends FleetFlags {
  follow?: boolean;
}

// The most lines show_agent_log gives in one page.
const PAGE_SIZE = 500;
// How often -f asks for new lines: a person watching needs no less.
const FOLLOW_POLL_MS = 500;
/** The agent statuses in which a task may still write to the log. */
const ACTIVE = new Set(['pending', 'starting', 'busy', 'canceling']);

export async function logsCommand(name: string, flags: LogsFlags): Promise<void> {
  await withFleet(flags, async (fleet) => {
    let seen = await printNew(fleet, name, null);
    if (!flags.follow) return;
    if (!(await isActive(fleet, name))) {
      process.stderr.write(`fleet-mcp: ${name} runs no task, so there is nothing to follow; its log so far is above\n`);
      return;
    }
    for (;;) {
      await sleep(FOLLOW_POLL_MS);
      // Asked before reading, so the lines the task wrote before it ended are read after it.
      const active = await isActive(fleet, name);
      seen = await printNew(fleet, name, seen);
      if (!active) return;
    }
  });
}

/** Prints the lines after the `seen` first ones (all of the latest page when null) and answers how many there are now. */
async function printNew(fleet: FleetClient, name: string, seen: number | null): Promise<number> {
  const page = await fleet.call<LogPage>('show_agent_log', { name, page: 1, page_size: PAGE_SIZE });
  // The log drops its oldest lines past its cap, so fewer than seen means they went: only newer ones count.
  const fresh = seen === null ? page.lines.length : Math.max(0, page.total_count - seen);
  const shown = page.lines.slice(0, fresh).reverse();
  const skipped = fresh - shown.length;
  const text = [
    ...(skipped > 0
      ? [`... ${skipped} lines came faster than shown; \`fleet-mcp logs ${name}\` pages through them`]
      : []),
    ...shown.map((line) => `${line.time} ${line.stream} ${visible(line.text)}`),
  ];
  if (text.length > 0) await out(`${text.join('\n')}\n`);
  return page.total_count;
}

async function isActive(fleet: FleetClient, name: string): Promise<boolean> {
  const agent = await fleet.call<{ status: string }>('show_agent', { name });
  return ACTIVE.has(agent.status);
}
