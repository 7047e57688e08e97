import { afterAll, describe, expect, it } from 'vitest';
import { connectClient, toolJson } from '../helpers/mcp-client.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { createFleetSandbox, task } from './fleet-server.js';
import { createNamedTokens, startInProcessFleetServer } from './in-process-fleet.js';

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe('who did what', () => {
  it('records the token that created an agent and the one that started each task, never a value', async () => {
    const fleet = createFleetSandbox();
    const lead = createNamedTokens(fleet, { lead: 'run' }).lead!;
    const { server, ok, token: shared } = await startInProcessFleetServer(fleet);
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
    expect(server.output()).not.toContain(shared);
    expect(server.output()).not.toContain(lead);
    await leadClient.close();
  });
});
