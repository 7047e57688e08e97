import type { FleetClient } from './fleet-client.js';

interface Page<T> {
  agents: T[];
  next_cursor?: string | null;
  usage?: unknown;
}

// A page as large as list_agents gives: a fleet of 1000 agents is two calls.
const PAGE_SIZE = 500;

/** Every agent list_agents pages through, with the fleet's usage from its first page. */
export async function listAllAgents<T, U>(fleet: FleetClient): Promise<{ agents: T[]; usage: U | null }> {
  const agents: T[] = [];
  let usage: U | null = null;
  let cursor: string | undefined;
  do {
    const page = await fleet.call<Page<T>>('list_agents', { page_size: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    agents.push(...page.agents);
    usage ??= (page.usage as U | undefined) ?? null;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return { agents, usage };
}
