import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { inProcessRefusal } from '../helpers/in-process-server.js';
import { killServers } from '../helpers/server.js';
import { createFleetSandbox, startFleetServer, task } from './fleet-server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe('the fleet across server restarts', () => {
  it('keeps agents, history and logs after a restart', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox);
    await first.ok('create_agent', { name: 'Keeper', project: 'repo', task: task({ lines: ['kept line'] }) });
    await first.ok('wait_for_agent', { name: 'keeper', timeout_seconds: 30 });
    const before = {
      agents: await first.ok('list_agents'),
      history: await first.ok('show_agent_task_history', { name: 'keeper' }),
      log: await first.ok('show_agent_log', { name: 'keeper' }),
    };
    expect(await first.server.stop('SIGTERM')).toBe(0);

    const second = await startFleetServer(sandbox);
    expect(await second.ok('list_agents')).toEqual(before.agents);
    expect(await second.ok('show_agent_task_history', { name: 'keeper' })).toEqual(before.history);
    expect(await second.ok('show_agent_log', { name: 'keeper' })).toEqual(before.log);
    await second.ok('start_agent_task', { name: 'keeper', task: task({}) });
    expect((await second.ok('wait_for_agent', { name: 'keeper', timeout_seconds: 30 })).agent.last_task.status).toBe(
      'completed',
    );
    await second.server.stop();
  });
});

describe('start-up', () => {
  it('stops with one line when a role is limited to an unknown project', async () => {
    const sandbox = createFleetSandbox();
    const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
    config.roles.test.projects = ['elsewhere'];
    writeFileSync(sandbox.configFile, JSON.stringify(config));
    // The config's check is the subject: the server runs in this process, and this is the line the CLI prints.
    const stderr = await inProcessRefusal(sandbox.sandbox, {
      env: { FLEET_MCP_CONFIG: sandbox.configFile, FLEET_MCP_DATA_DIR: sandbox.dataDir },
    });
    expect(stderr.trim()).toBe(
      `fleet-mcp: fleet config ${sandbox.configFile}: Role "test" is limited to unknown project(s) "elsewhere". Projects: "repo", "plain".`,
    );
  });
});
