import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';

/** The fleet view that clients rendering MCP Apps (SEP-1865) show beside list_agents' and show_agent's results. */
export const FLEET_APP_URI = 'ui://fleet/view';

/** `text/html;profile=mcp-app`: what tells a host the resource is an app, not a page to show as text. */
export const FLEET_APP_MIME_TYPE = RESOURCE_MIME_TYPE;

/**
 * The `_meta` of a tool that shows the app. Without the deprecated flat `ui/resourceUri` key that ext-apps'
 * registerAppTool adds too: every lead agent's context pays for tools/list, and current hosts read `ui.resourceUri`.
 */
export const FLEET_APP_TOOL_META: Readonly<Record<string, unknown>> = { ui: { resourceUri: FLEET_APP_URI } };
