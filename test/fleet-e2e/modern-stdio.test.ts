import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { modernOk } from '../helpers/modern-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { captureLog } from '../helpers/secrets.js';
import { killHost } from '../helpers/stdio-client.js';
import { createShellFleet, SHELL } from './shell-fleet.js';

const dataDirs: string[] = [];

afterAll(() => {
  dataDirs.forEach(killHost);
  cleanupSandboxes();
});

describe('fleet-mcp stdio in the 2026-07-28 era', () => {
  it('serves a modern client, and its listen stream hears the agent it made', async () => {
    const fleet = createShellFleet('fleet-mcp-modern-stdio', { sh: { command: SHELL, default: true } });
    dataDirs.push(fleet.dataDir);
    const env = { ...fleet.sandbox.env, FLEET_MCP_CONFIG: fleet.configFile, FLEET_MCP_DATA_DIR: fleet.dataDir };
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio'],
      cwd: fleet.plain,
      env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    captureLog('modern stdio client (stderr)', () => stderr);
    const client = new Client(
      { name: 'fleet-mcp-test', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(transport);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('create_agent');

    const stateUri = 'fleet://agents/listened/state';
    const heard = new Promise<void>((resolve) => {
      client.setNotificationHandler('notifications/resources/updated', (notification) => {
        if (notification.params.uri === stateUri) resolve();
      });
    });
    const subscription = await client.listen({ resourceSubscriptions: [stateUri] });
    await modernOk(client, 'create_agent', { name: 'listened', project: 'repo', task: 'echo hello' });
    await heard;
    const waited = await modernOk(client, 'wait_for_agent', { name: 'listened', timeout_seconds: 30 });
    expect(waited.agent.last_task.status).toBe('completed');
    await subscription.close();
    await client.close();
  });
});
