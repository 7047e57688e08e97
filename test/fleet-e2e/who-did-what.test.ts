import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connectClient, toolJson } from '../helpers/mcp-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { createFleetSandbox, startFleetServer, task } from './fleet-server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe('who did what', () => {
  it('records the token that created an agent and the one that started each task, never a value', async () => {
    const fleet = createFleetSandbox();
    const { server, ok } = await startFleetServer(fleet);
    const lead = rememberSecret(
      (await runCli(fleet.sandbox, ['token', 'create', 'lead', '--scope', 'run'])).stdout.trim(),
    );
    // The server takes up a new named token within a second of its creation.
    const accepted = (): Promise<number> =>
      fetch(`${server.baseUrl}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${lead}` } }).then(
        (r) => r.status,
      );
    await expect.poll(accepted).not.toBe(401);
    const leadClient = await connectClient(server.mcpUrl, lead);
    const created = toolJson(
      await leadClient.callTool({
        name: 'create_agent',
        arguments: { name: 'worker', project: 'repo', task: task({ lines: ['one'] }) },
      }),
    ) as { created_by: string };
    expect(created.created_by).toBe('lead');
    await ok('wait_for_agent', { name: 'worker', timeout_seconds: 20 });
    await ok('start_agent_task', { name: 'worker', task: task({ lines: ['two'] }) });
    await ok('wait_for_agent', { name: 'worker', timeout_seconds: 20 });

    const shown = await ok('show_agent', { name: 'worker' });
    expect(shown).toMatchObject({ created_by: 'lead', last_task: { started_by: 'shared' } });
    const history = await ok('show_agent_task_history', { name: 'worker' });
    expect(history.tasks.map((item: { started_by: string }) => item.started_by)).toEqual(['shared', 'lead']);

    const startedBy = (): string[] =>
      server
        .output()
        .split('\n')
        .filter((line) => line.includes('"msg":"task started"'))
        .map((line) => JSON.parse(line).token_name);
    await expect.poll(startedBy).toEqual(['lead', 'shared']);
    await expect.poll(server.output).toContain('"token_name":"lead","tool":"create_agent","agent":"worker"');
    const shared = JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value as string;
    expect(server.output()).not.toContain(shared);
    expect(server.output()).not.toContain(lead);
    await leadClient.close();
  });
});
