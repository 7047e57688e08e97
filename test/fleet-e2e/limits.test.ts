import { afterAll, describe, expect, it } from 'vitest';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { createFleetSandbox, task } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe('the agent cap through the MCP client', () => {
  it('answers create_agent past FLEET_MCP_MAX_AGENTS with a tool error naming the limit', async () => {
    const fleet = await startInProcessFleetServer(createFleetSandbox(), { FLEET_MCP_MAX_AGENTS: '1' });
    await fleet.ok('create_agent', { name: 'only', project: 'plain', task: task({}) });
    const refused = await fleet.fails('create_agent', { name: 'second', project: 'plain', task: task({}) });
    expect(refused).toContain('FLEET_MCP_MAX_AGENTS=1');
    expect((await fleet.ok('list_agents')).agents.map((agent: { name: string }) => agent.name)).toEqual(['only']);
  });
});
