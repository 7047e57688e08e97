import { ConfigError, isConfigError } from '../config-error.js';
import { listAllAgents } from './all-agents.js';
import type { FleetClient } from './fleet-client.js';
import { out, withFleet, type FleetFlags } from './with-fleet.js';

interface Brief {
  name: string;
  status: string;
  last_task: { id: string; status: string; reason: string | null } | null;
}

export interface StopFlags extends FleetFlags {
  all?: boolean;
}

/** The agent statuses with a task to cancel: queued (pending), starting, running or being canceled. */
const ACTIVE = new Set(['pending', 'starting', 'busy', 'canceling']);
// Rounds of --all: a queued task that took a freed slot between two rounds is canceled in the next.
const MAX_ROUNDS = 5;

export async function stopCommand(name: string | undefined, flags: StopFlags): Promise<void> {
  if ((flags.all === true) === (name !== undefined)) {
    throw new ConfigError(
      'name one agent to stop, or --all to stop every task, queued ones included: fleet-mcp stop NAME | fleet-mcp stop --all',
    );
  }
  await withFleet(flags, async (fleet) => {
    if (name !== undefined) await out(line(await fleet.call<Brief>('cancel_agent_task', { name })));
    else await stopAll(fleet);
  });
}

/**
 * Cancels the queued tasks first, so none of them takes the slot a canceled running task frees, then the running
 * ones; then looks again, until nothing runs or is queued.
 */
async function stopAll(fleet: FleetClient): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const { agents } = await listAllAgents<Brief, unknown>(fleet);
    const active = agents.filter((agent) => ACTIVE.has(agent.status));
    if (active.length === 0) {
      if (round === 0) process.stderr.write('no agent runs or waits with a task\n');
      return;
    }
    const queued = active.filter((agent) => agent.status === 'pending');
    for (const agent of queued) await cancel(fleet, agent.name);
    await Promise.all(active.filter((agent) => agent.status !== 'pending').map((agent) => cancel(fleet, agent.name)));
  }
  throw new ConfigError(
    `tasks kept starting while stopping them ${MAX_ROUNDS} times; run fleet-mcp stop --all again, and stop whatever gives the fleet tasks`,
  );
}

/** Cancels the agent's task; one that ended meanwhile is not an error here. */
async function cancel(fleet: FleetClient, name: string): Promise<void> {
  try {
    await out(line(await fleet.call<Brief>('cancel_agent_task', { name })));
  } catch (error) {
    if (!isConfigError(error) || !/no running or queued task/.test((error as Error).message)) throw error;
  }
}

function line(agent: Brief): string {
  const task = agent.last_task;
  return `${agent.name}: ${task ? `task ${task.id} ${task.status}` : 'no task'}, agent ${agent.status}\n`;
}
