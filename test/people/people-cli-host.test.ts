import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createShellFleet, SHELL } from '../fleet-e2e/shell-fleet.js';
import { runCli } from '../helpers/cli.js';
import { hostPid, startStdioClient, stopStdioClients } from '../helpers/stdio-client.js';

// The person's commands reach the background fleet that `fleet-mcp stdio` clients start, as they reach `serve`.

const fleet = createShellFleet('fleet-mcp-people-host', {
  sh: { command: SHELL, description: 'runs its task as a script', default: true },
});

afterAll(async () => {
  await stopStdioClients();
  rmSync(fleet.sandbox.root, { recursive: true, force: true });
});

it('status and stop --all work on the background fleet of stdio clients', async () => {
  const env = { FLEET_MCP_CONFIG: fleet.configFile, FLEET_MCP_DATA_DIR: fleet.dataDir };
  const client = await startStdioClient(fleet.sandbox, { env });
  const gate = join(fleet.sandbox.root, 'gate');
  await client.ok('create_agent', {
    name: 'hosted',
    project: 'repo',
    task: `echo up; while [ ! -e '${gate}' ]; do sleep 0.1; done`,
  });
  const host = hostPid(fleet.dataDir);
  expect(host).not.toBeNull();

  const status = await runCli(fleet.sandbox, ['status', '--json'], env);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout).agents).toMatchObject([
    { name: 'hosted', current_task: { description: expect.stringContaining('echo up') } },
  ]);

  const stopped = await runCli(fleet.sandbox, ['stop', '--all'], env);
  expect(stopped).toMatchObject({ code: 0, stdout: expect.stringMatching(/^hosted: task \S+ canceled/) });
  expect((await client.ok('show_agent', { name: 'hosted' })).last_task.status).toBe('canceled');
  expect(hostPid(fleet.dataDir)).toBe(host);
  writeFileSync(gate, '');
});
