import type { FleetBackend } from '../backend.js';
import { FleetError, LeftoversError } from '../errors.js';
import type { UnlandedWork } from '../review/delete-safety.js';
import type { AgentRecord } from '../store.js';
import type { TaskRecord } from '../types.js';

/** The refusals of the fleet's operations, each with what the caller can do instead. */

export function assertNameFree(existing: AgentRecord | undefined): void {
  if (!existing) return;
  throw new FleetError(
    'conflict',
    `An agent named "${existing.agent.name}" already exists (agent names are case-insensitive). ` +
      `Choose another name, or give "${existing.agent.name}" a new task with start_agent_task.`,
  );
}

/** @param current the task the agent runs or waits to run, if any */
export function assertIdle(record: AgentRecord, current: TaskRecord | null): void {
  const { agent } = record;
  if (agent.status === 'idle') return;
  const name = JSON.stringify(agent.name);
  if (current) {
    const when = current.started_at ? `started ${current.started_at}` : `queued ${current.created_at}`;
    throw new FleetError(
      'conflict',
      `Agent ${name} is ${agent.status} with task "${current.description.slice(0, 200)}" (${when}). ` +
        `A task can only start when the agent is idle: wait with wait_for_agent, or stop it with cancel_agent_task.`,
    );
  }
  const why = agent.status_reason ? ` (${agent.status_reason})` : '';
  throw new FleetError(
    'conflict',
    `Agent ${name} is ${agent.status}${why}; a task can only start when it is idle. Call restart_agent to make it idle.`,
  );
}

/** Refuses while the agent runs a task, waits for a slot, or is being set up or stopped. */
export function assertNotWorking(record: AgentRecord, current: TaskRecord | null, what: string): void {
  const { agent } = record;
  if (!current && !['starting', 'canceling', 'stopping', 'deleting'].includes(agent.status)) return;
  const doing = current ? ` with task "${current.description.slice(0, 200)}"` : '';
  throw new FleetError(
    'conflict',
    `Agent "${agent.name}" is ${agent.status}${doing}; its work can be ${what} once it is idle: wait with wait_for_agent, or stop it with cancel_agent_task.`,
  );
}

export function assertRoomForAgent(count: number, max: number): void {
  if (count < max) return;
  throw new FleetError(
    'conflict',
    `The fleet already has ${count} agents, its limit (FLEET_MCP_MAX_AGENTS=${max}). ` +
      'Delete an agent you no longer need with delete_agent, or raise FLEET_MCP_MAX_AGENTS and restart the server.',
  );
}

/**
 * What deleting would lose. When git cannot tell (the repository was moved or removed), a plain delete is refused
 * with git's reason, and a forced one goes ahead without knowing.
 */
export async function unlandedWork(
  backend: FleetBackend,
  record: AgentRecord,
  force: boolean,
): Promise<UnlandedWork | null> {
  try {
    return await backend.unlandedWork(record);
  } catch (error) {
    if (force) return null;
    throw new FleetError(
      'failed',
      `Cannot tell whether deleting agent "${record.agent.name}" would lose work: ${(error as Error).message}. ` +
        'Fix the repository, or call delete_agent with force: true.',
    );
  }
}

/** Refuses a merge that would first commit files the agent left uncommitted, naming them. */
export async function refuseLeftovers(backend: FleetBackend, record: AgentRecord): Promise<void> {
  const work = await backend.unlandedWork(record);
  if (!work || work.uncommitted.total === 0) return;
  const shown = work.uncommitted.items.join(', ');
  const more =
    work.uncommitted.total > work.uncommitted.items.length
      ? `, ... ${work.uncommitted.total - work.uncommitted.items.length} more`
      : '';
  throw new LeftoversError(
    `Agent "${record.agent.name}" left ${work.uncommitted.total} file(s) uncommitted: ${shown}${more}. ` +
      'Merging commits them on its branch first and lands them with its work.',
  );
}
