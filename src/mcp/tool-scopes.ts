import type { Scope } from '../auth/scopes.js';

/**
 * The scope each tool needs: read to look, run to make agents work, admin for what destroys or lands work. A tool
 * missing here needs admin, so a new tool is never open to a weaker token by accident.
 */
const TOOL_SCOPES: Readonly<Record<string, Scope>> = {
  list_agent_projects: 'read',
  list_agent_roles: 'read',
  list_agents: 'read',
  show_agent: 'read',
  show_agent_task_history: 'read',
  show_agent_log: 'read',
  wait_for_agent: 'read',
  show_agent_changes: 'read',
  create_agent: 'run',
  start_agent_task: 'run',
  cancel_agent_task: 'run',
  restart_agent: 'run',
  delete_agent: 'admin',
  merge_agent: 'admin',
  cleanup_fleet_branches: 'admin',
};

export function toolScope(tool: string): Scope {
  return Object.hasOwn(TOOL_SCOPES, tool) ? TOOL_SCOPES[tool]! : 'admin';
}
