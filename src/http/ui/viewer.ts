import type { Context } from 'hono';
import { grants } from '../../auth/scopes.js';
import { cancelAgentTask } from '../../mcp/tools/cancel-agent-task.js';
import { deleteAgent } from '../../mcp/tools/delete-agent.js';
import { mergeAgent } from '../../mcp/tools/merge-agent.js';
import type { UiEnv } from './ui-env.js';
import type { OfferedActions } from './views/agent-page.js';
import type { Viewer } from './views/layout.js';

export function viewerOf(c: Context<UiEnv>, authEnabled: boolean): Viewer {
  return { tokenName: c.get('identity').name, csrf: c.get('uiSession').csrf, canLogOut: authEnabled };
}

/** The actions whose tool the token's scope allows: the same declarations tools/list filters by. */
export function offeredActions(c: Context<UiEnv>): OfferedActions {
  const scopes = c.get('identity').scopes;
  return {
    cancel: grants(scopes, cancelAgentTask.scope),
    merge: grants(scopes, mergeAgent.scope),
    delete: grants(scopes, deleteAgent.scope),
  };
}
