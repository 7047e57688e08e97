import * as z from 'zod';
import type { Fleet } from '../fleet/fleet.js';
import { AGENT_NAME_RULE } from '../fleet/names.js';

// Tool files build their input schemas once, at module level: a fresh MCP server is made for every request, and
// building zod schemas would otherwise be most of its cost.

/** What every fleet tool needs: the one fleet of this server. */
export interface FleetToolDeps {
  fleet: Fleet;
  /** The name of the token this server answers for (`shared`, a named token, `stdio`), recorded on what it starts. */
  caller: string;
}

export const agentNameArg = z.string().min(1).max(200).describe(`Name of the agent (case-insensitive), as given to create_agent or shown by list_agents.`);

export const newAgentNameArg = z.string().min(1).max(200).describe(`Name for the new agent: ${AGENT_NAME_RULE}.`);

/** Shown in the descriptions of tools that return an agent, so a caller knows the fields without a trial call. */
export const TASK_FIELDS =
  '{"id","description","status","queue_position","exit_code","reason","started_by","created_at","started_at","ended_at","duration_ms",' +
  '"head_at_start","commits":[{"sha","subject"}],"files_changed","uncommitted_changes","autocommit":{"sha","files"},"final_message","error",' +
  '"fresh_conversation","continued_conversation","session_id","log_lines"}';

export const AGENT_FIELDS =
  '{"name","project","role","status","status_reason","workdir","branch","base":{"ref","commit"},"current_task_id","created_by","created_at","updated_at",' +
  `"task_count","last_task":${TASK_FIELDS}}`;

/** What a task's fields mean, for the tools that show tasks. */
export const TASK_OUTCOME_HELP =
  'A task is queued (waiting for a busy slot, queue_position 1 = next), running, completed (exit 0 and no error ' +
  'reported by the CLI), failed (reason: exit code, the CLI\'s reported error, "timed out after 2h", "no output for ' +
  '15m", "not started: ...") or canceled. When it ends it carries commits (added on the agent\'s branch), files_changed ' +
  '(since the branch head at its start, committed or not), uncommitted_changes, autocommit (the commit fleet-mcp made ' +
  'of what it left uncommitted, or null), duration_ms, and the CLI\'s ' +
  'final_message and error where its output format has them; the git fields are null outside a git project.';

/** The `page` and `page_size` arguments of a paged tool; `what` names the items, e.g. "lines". */
export function pageArgs(limits: { defaultSize: number; maxSize: number }, what: string) {
  return {
    page: z.number().int().min(1).default(1).describe(`Page number, from 1 (newest ${what}).`),
    page_size: z.number().int().min(1).max(limits.maxSize).default(limits.defaultSize).describe(`${what[0]!.toUpperCase()}${what.slice(1)} per page, 1-${limits.maxSize}.`),
  };
}
