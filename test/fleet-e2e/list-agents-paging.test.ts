import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/fleet/logger.js';
import { Store } from '../../src/fleet/store.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { createFleetSandbox, type FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

interface Page {
  agents: { name: string; status: string }[];
  total_count: number;
  next_cursor: string | null;
}

const AGENTS = 130;
const name = (i: number) => `agent-${String(i).padStart(3, '0')}`;

let fleet: InProcessFleetServer;

/** Idle agents in the plain project, written to the data dir as a previous server would have left them. */
async function plantAgents(sandbox: FleetSandbox, count: number): Promise<void> {
  const store = Store.open(sandbox.dataDir, silentLogger);
  const now = new Date().toISOString();
  for (let i = 0; i < count; i += 1) {
    const agent = {
      name: name(i),
      project: 'plain',
      role: 'test',
      backend: 'local',
      status: i % 10 === 0 ? ('failed' as const) : ('idle' as const),
      created_by: null,
      status_reason: null,
      workdir: sandbox.plain,
      branch: null,
      base: null,
      current_task_id: null,
      created_at: now,
      updated_at: now,
    };
    store.put(agent.name, { agent, tasks: [], git: null, process: null, setup_pending: false, ran_sandboxed: false });
  }
  await store.flush();
}

/** Every page from the first, with the arguments given, while `between` runs after each page. */
async function pageThrough(args: Record<string, unknown>, between: (page: number) => Promise<void> = async () => {}) {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await fleet.ok<Page>('list_agents', { ...args, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    cursor = page.next_cursor;
    await between(pages.length);
  } while (cursor !== null);
  return pages;
}

beforeAll(async () => {
  const sandbox = createFleetSandbox();
  await plantAgents(sandbox, AGENTS);
  fleet = await startInProcessFleetServer(sandbox);
});

afterAll(async () => {
  await stopInProcessServers();
  cleanupSandboxes();
});

describe('list_agents is paged', () => {
  it('gives 50 agents by default, with the cursor of the next page and the count of all', async () => {
    const first = await fleet.ok<Page>('list_agents');
    expect(first.agents.map((agent) => agent.name)).toEqual(Array.from({ length: 50 }, (_, i) => name(i)));
    expect(first.total_count).toBe(AGENTS);
    expect(first.next_cursor).toBe(name(49));
  });

  it('pages through every agent exactly once, and the last page says there is no next one', async () => {
    const pages = await pageThrough({ page_size: 9 });
    const names = pages.flatMap((page) => page.agents.map((agent) => agent.name));
    expect(names).toEqual(Array.from({ length: AGENTS }, (_, i) => name(i)));
    expect(pages).toHaveLength(Math.ceil(AGENTS / 9));
    expect(pages.at(-1)!.next_cursor).toBeNull();
    expect(pages.every((page) => page.total_count === AGENTS)).toBe(true);
  });

  it('pages through one status alone', async () => {
    const pages = await pageThrough({ status: 'failed', page_size: 4 });
    const names = pages.flatMap((page) => page.agents.map((agent) => agent.name));
    expect(names).toEqual(Array.from({ length: AGENTS / 10 }, (_, i) => name(i * 10)));
  });

  it('lists each agent that stays exactly once while agents are deleted between pages', async () => {
    // After the first page (agent-000..agent-019): one agent already listed and one still to come are deleted.
    const pages = await pageThrough({ page_size: 20 }, async (page) => {
      if (page !== 1) return;
      await fleet.ok('delete_agent', { name: name(5) });
      await fleet.ok('delete_agent', { name: name(20) });
    });
    const names = pages.flatMap((page) => page.agents.map((agent) => agent.name));
    const stayed = Array.from({ length: AGENTS }, (_, i) => name(i)).filter((agent) => agent !== name(20));
    expect(names).toEqual(stayed);
  });

  it('refuses a page size out of range with the range', async () => {
    expect(await fleet.fails('list_agents', { page_size: 501 })).toMatch(/page_size/);
    expect(await fleet.fails('list_agents', { page_size: 0 })).toMatch(/page_size/);
  });
});
