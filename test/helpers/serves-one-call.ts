import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { FLEET_APP_MIME_TYPE, FLEET_APP_URI } from '../../src/mcp/app/app-link.js';
import { connectClient, toolJson } from './mcp-client.js';
import type { Sandbox } from './sandbox.js';
import { rememberSecret } from './secrets.js';
import type { StartedServer } from './server.js';

/**
 * A server started with auth on answers an authenticated tool call with the sandbox's one project, serves the MCP App
 * it carries in itself (no file beside it), and stops with 0.
 */
export async function expectServesOneCallAndStops(sandbox: Sandbox, server: StartedServer): Promise<void> {
  const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  const client = await connectClient(server.mcpUrl, token);
  expect(toolJson(await client.callTool({ name: 'list_agent_projects', arguments: {} }))).toMatchObject({
    total_count: 1,
  });
  const app = (await client.readResource({ uri: FLEET_APP_URI })).contents[0] as { mimeType: string; text: string };
  expect(app.mimeType).toBe(FLEET_APP_MIME_TYPE);
  expect(app.text).toContain('ui/initialize');
  await client.close();
  expect(await server.stop()).toBe(0);
}
