import type { Fleet } from '../fleet/fleet.js';

/** Statuses of an agent whose task runs (or is about to): it outlives the server unless it is stopped with it. */
const RUNNING = new Set(['starting', 'busy', 'canceling']);

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What becomes of the agents when the server stops, for the person who pressed Ctrl+C: by design they run on (and
 * queued tasks wait for the next server), unless the server stops them; null when no agent has work. Counted
 * before the fleet shuts down, which may cancel them.
 */
export function stopNotice(
  fleet: Fleet,
  stopsAgents: boolean,
): { running: number; queued: number; message: string } | null {
  const agents = fleet.listAgents();
  const running = agents.filter((agent) => RUNNING.has(agent.status)).length;
  const queued = agents.filter((agent) => agent.status === 'pending').length;
  if (running + queued === 0) return null;
  const work = `${count(running, 'running agent', 'running agents')} and ${count(queued, 'queued task', 'queued tasks')}`;
  if (stopsAgents)
    return {
      running,
      queued,
      message: `stopped ${work}, as --stop-agents-on-exit (FLEET_MCP_STOP_AGENTS_ON_EXIT) asks`,
    };
  return {
    running,
    queued,
    message:
      `${work} outlive the server (the next server on this data dir follows them): see them with \`fleet-mcp status\`, ` +
      'stop them with `fleet-mcp stop --all`, or start serve with --stop-agents-on-exit to stop them with it',
  };
}
