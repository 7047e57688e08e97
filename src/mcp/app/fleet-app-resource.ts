import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Scope } from '../../auth/scopes.js';
import { allowedActions } from './app-actions.js';
import { fleetAppHtml } from './app-html.js';
import { FLEET_APP_MIME_TYPE, FLEET_APP_URI } from './app-link.js';

/** The app needs no origin at all: it reaches the server only through its host's tools/call. */
const UI_META = { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } };

/**
 * The fleet view as an MCP App resource. Its buttons are the actions the caller's token may take: the server of
 * each request is built for one token, so a read token's app offers none.
 */
export function registerFleetApp(server: McpServer, scopes: readonly Scope[]): void {
  const html = fleetAppHtml(allowedActions(scopes));
  server.registerResource(
    'fleet-app',
    FLEET_APP_URI,
    {
      title: 'Fleet view',
      description: 'The agents, their logs, changes and history, as an MCP App.',
      mimeType: FLEET_APP_MIME_TYPE,
      _meta: UI_META,
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: FLEET_APP_MIME_TYPE, text: html, _meta: UI_META }] }),
  );
}
