import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { connectClient, toolJson } from './mcp-client.js';
import type { Sandbox } from './sandbox.js';
import { rememberSecret } from './secrets.js';
import type { StartedServer } from './server.js';

/** A server started with auth on answers an authenticated tool call with the sandbox's one project, and stops with 0. */
export async function expectServesOneCallAndStops(sandbox: Sandbox, server: StartedServer): Promise<void> {
  const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  const client = await connectClient(server.mcpUrl, token);
  expect(toolJson(await client.callTool({ name: 'list_agent_projects', arguments: {} }))).toMatchObject({
    total_count: 1,
  });
  await client.close();
  expect(await server.stop()).toBe(0);
}
