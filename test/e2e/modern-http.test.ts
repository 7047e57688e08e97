import { afterAll, describe, expect, it } from 'vitest';
import { connectClient } from '../helpers/mcp-client.js';
import { connectModernClient } from '../helpers/modern-client.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { killServers, startServer } from '../helpers/server.js';
import { readFileSync } from 'node:fs';

afterAll(() => {
  killServers();
  cleanupSandboxes();
});

describe('/mcp in both eras', () => {
  it('serves a 2026-07-28 client and a 2025-era client side by side', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: '1' } });
    const token = JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value as string;
    const modern = await connectModernClient(server.mcpUrl, token);
    const tools = await modern.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain('list_agents');
    const result = await modern.callTool({ name: 'list_agent_projects', arguments: {} });
    expect(result.isError).toBeFalsy();
    const legacy = await connectClient(server.mcpUrl, token);
    expect((await legacy.listTools()).tools.length).toBe(tools.tools.length);
    await legacy.close();
    await modern.close();
  });
});
