import { Hono } from 'hono';
import { grants } from '../../auth/scopes.js';
import type { AnyFleetTool } from '../../mcp/fleet-tools.js';
import { isExpectedError } from '../../mcp/expected-errors.js';
import { cancelAgentTask } from '../../mcp/tools/cancel-agent-task.js';
import { deleteAgent } from '../../mcp/tools/delete-agent.js';
import { mergeAgent } from '../../mcp/tools/merge-agent.js';
import { clientAddress } from '../client-address.js';
import { csrfGuard } from './csrf-guard.js';
import { actWith } from './tool-runner.js';
import { expectedErrorStatus } from './ui-error.js';
import type { UiAppOptions } from './ui-options.js';
import type { UiEnv } from './ui-env.js';
import { viewerOf } from './viewer.js';
import { actionPage } from './views/action-page.js';
import { errorPage } from './views/error-page.js';

/** The web view's actions, each the MCP tool of the same declaration. */
const ACTIONS: Record<string, AnyFleetTool> = {
  cancel: cancelAgentTask,
  merge: mergeAgent,
  delete: deleteAgent,
};

/**
 * POST /ui/agents/:name/{cancel,merge,delete}: same Origin, the session's CSRF token and the tool's scope are
 * checked before the tool runs, so a refused action does nothing at all.
 */
export function actionRoutes(options: UiAppOptions): Hono<UiEnv> {
  const routes = new Hono<UiEnv>();
  const authEnabled = options.authenticate !== undefined;
  routes.post('/agents/:name/:action', csrfGuard(), async (c) => {
    const name = c.req.param('name');
    const action = c.req.param('action');
    const viewer = viewerOf(c, authEnabled);
    const tool = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!tool) return c.html(errorPage('Not found', `There is no action "${action}".`, viewer), 404);
    const identity = c.get('identity');
    if (!grants(identity.scopes, tool.scope)) {
      return c.html(
        errorPage(
          'Not allowed',
          `Token "${identity.name}" (scope ${identity.scopes.join(', ')}) may not call ${tool.name}, which needs scope ${tool.scope}.`,
          viewer,
        ),
        403,
      );
    }
    const body = await c.req.parseBody();
    const args: Record<string, unknown> = { name };
    if (tool === deleteAgent && body.force === 'true') args.force = true;
    options.logger.info(
      { token_name: identity.name, client: clientAddress(c), tool: tool.name, agent: name.slice(0, 100) },
      'web view action',
    );
    try {
      const result = await actWith(options, identity, tool, args);
      return c.html(actionPage({ tool: tool.name, agent: name, result, viewer }), result.ok ? 200 : 500);
    } catch (error) {
      if (!isExpectedError(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return c.html(errorPage(`${tool.name} refused`, message, viewer), expectedErrorStatus(error));
    }
  });
  return routes;
}
