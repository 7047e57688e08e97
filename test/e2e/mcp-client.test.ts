import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectClient, toolJson } from '../helpers/mcp-client.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';
import { startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';

afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe('the MCP SDK client', () => {
  it('connects with the token, lists the tools and calls list_agent_projects', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: '1' } });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    const client = await connectClient(server.mcpUrl, token);
    expect(client.getServerVersion()).toMatchObject({ name: 'fleet-mcp' });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('list_agent_projects');
    const result = await client.callTool({ name: 'list_agent_projects', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(toolJson(result)).toEqual({
      projects: [{ name: 'work', path: sandbox.cwd, description: expect.any(String) }],
      total_count: 1,
    });
    await client.close();
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('is refused without the token', async () => {
    const sandbox = createSandbox();
    const server = await startInProcessServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'on' } });
    rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    await expect(connectClient(server.mcpUrl)).rejects.toThrow(/401|missing_token|Unauthorized/i);
    await expect(connectClient(server.mcpUrl, 'wrong-token-wrong-token-wrong-token-00')).rejects.toThrow(
      /401|invalid_token|Unauthorized/i,
    );
    await server.stop();
  });

  it('lists the projects of the fleet config, with relative paths taken from the file', async () => {
    const sandbox = createSandbox();
    mkdirSync(join(sandbox.root, 'repos', 'api'), { recursive: true });
    const configFile = join(sandbox.root, 'fleet.json');
    writeFileSync(
      configFile,
      JSON.stringify({ projects: { api: { path: 'repos/api', description: 'The API service' }, home: { path: '~' } } }),
    );
    const server = await startServer(sandbox, { env: { FLEET_MCP_CONFIG: configFile } });
    const client = await connectClient(server.mcpUrl);
    expect(toolJson(await client.callTool({ name: 'list_agent_projects', arguments: {} }))).toEqual({
      projects: [
        { name: 'api', path: join(sandbox.root, 'repos', 'api'), description: 'The API service' },
        { name: 'home', path: sandbox.env.HOME, description: '' },
      ],
      total_count: 2,
    });
    await client.close();
    await server.stop();
  });
});
