import { z } from 'zod';
import type { Fleet } from '../fleet/fleet.js';
import { AGENT_NAME_RULE } from '../fleet/names.js';

// Tool files build their input schemas once, at module level: a fresh MCP server is made for every request, and
// building zod schemas would otherwise be most of its cost.

/** What every fleet tool needs: the one fleet of this server. */
export interface FleetToolDeps {
  fleet: Fleet;
}

export const agentNameArg = z.string().min(1).max(200).describe(`Name of the agent (case-insensitive), as given to create_agent or shown by list_agents.`);

export const newAgentNameArg = z.string().min(1).max(200).describe(`Name for the new agent: ${AGENT_NAME_RULE}.`);

/** Shown in the descriptions of tools that return an agent, so a caller knows the fields without a trial call. */
export const AGENT_FIELDS =
  '{"name","project","role","status","status_reason","workdir","branch","current_task_id","created_at","updated_at",' +
  '"task_count","last_task":{"id","description","status","exit_code","reason","started_at","ended_at","log_lines"}}';

/** The `page` and `page_size` arguments of a paged tool; `what` names the items, e.g. "lines". */
export function pageArgs(limits: { defaultSize: number; maxSize: number }, what: string) {
  return {
    page: z.number().int().min(1).default(1).describe(`Page number, from 1 (newest ${what}).`),
    page_size: z.number().int().min(1).max(limits.maxSize).default(limits.defaultSize).describe(`${what[0]!.toUpperCase()}${what.slice(1)} per page, 1-${limits.maxSize}.`),
  };
}
