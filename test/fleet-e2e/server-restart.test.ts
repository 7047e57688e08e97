import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';
import { isAlive } from '../fleet/helpers.js';
import { createFleetSandbox, startFleetServer, task, type FleetServer } from './fleet-server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

async function untilReady(fleet: FleetServer, name: string): Promise<void> {
  await expect
    .poll(async () => (await fleet.ok('show_agent_log', { agent_name: name })).lines.map((line: { text: string }) => line.text), { timeout: 10_000 })
    .toContain('ready');
}

describe('the fleet across server restarts', () => {
  it('keeps agents, history and logs after a restart', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox);
    await first.ok('create_agent', { name: 'Keeper', project: 'repo', task: task({ lines: ['kept line'] }) });
    await first.ok('wait_for_agent', { agent_name: 'keeper', timeout_seconds: 30 });
    const before = {
      agents: await first.ok('list_agents'),
      history: await first.ok('show_agent_task_history', { agent_name: 'keeper' }),
      log: await first.ok('show_agent_log', { agent_name: 'keeper' }),
    };
    expect(await first.server.stop('SIGTERM')).toBe(0);

    const second = await startFleetServer(sandbox);
    expect(await second.ok('list_agents')).toEqual(before.agents);
    expect(await second.ok('show_agent_task_history', { agent_name: 'keeper' })).toEqual(before.history);
    expect(await second.ok('show_agent_log', { agent_name: 'keeper' })).toEqual(before.log);
    await second.ok('start_agent_task', { agent_name: 'keeper', task_description: task({}) });
    expect((await second.ok('wait_for_agent', { agent_name: 'keeper', timeout_seconds: 30 })).agent.last_task.status).toBe('completed');
    await second.server.stop();
  });

  it('on SIGTERM cancels running tasks, records them and exits 0', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox);
    await first.ok('create_agent', { name: 'busy', project: 'plain', task: task({ sleepMs: 120_000 }) });
    await untilReady(first, 'busy');
    expect(await first.server.stop('SIGTERM')).toBe(0);

    const second = await startFleetServer(sandbox);
    expect(await second.ok('show_agent', { agent_name: 'busy' })).toMatchObject({
      status: 'idle',
      last_task: { status: 'canceled', reason: 'server shutting down' },
    });
    await second.server.stop();
  });

  it('after kill -9 mid-task, the restarted server marks the task failed "server restarted" and stops its process', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox);
    await first.ok('create_agent', { name: 'Crash', project: 'repo', task: task({ lines: ['working'], printPid: true, sleepMs: 120_000 }) });
    await untilReady(first, 'crash');
    const lines = (await first.ok('show_agent_log', { agent_name: 'crash' })).lines as { text: string }[];
    const agentPid = Number(lines.find((line) => line.text.startsWith('PID '))!.text.slice(4));
    await first.server.stop('SIGKILL');
    // The agent runs in its own process group, so it outlives the server...
    expect(isAlive(agentPid)).toBe(true);

    const second = await startFleetServer(sandbox);
    const agent = await second.ok('show_agent', { agent_name: 'crash' });
    expect(agent).toMatchObject({ status: 'idle', current_task_id: null, last_task: { status: 'failed', reason: 'server restarted' } });
    const texts = (await second.ok('show_agent_log', { agent_name: 'crash' })).lines.map((line: { text: string }) => line.text);
    expect(texts).toContain('working');
    expect(texts[0]).toMatch(/failed: server restarted$/);
    // ...until the restarted server, which cannot follow it any more, stops it.
    await expect.poll(() => isAlive(agentPid), { timeout: 5000 }).toBe(false);
    await second.ok('start_agent_task', { agent_name: 'crash', task_description: task({}) });
    expect((await second.ok('wait_for_agent', { agent_name: 'crash', timeout_seconds: 30 })).agent.last_task.status).toBe('completed');
    await second.server.stop();
  });
});

describe('start-up', () => {
  it('stops with one line when a role is limited to an unknown project', async () => {
    const sandbox = createFleetSandbox();
    const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
    config.roles.test.projects = ['elsewhere'];
    writeFileSync(sandbox.configFile, JSON.stringify(config));
    const { code, stderr } = await expectStartFailure(sandbox.sandbox, { env: { FLEET_MCP_CONFIG: sandbox.configFile, FLEET_MCP_DATA_DIR: sandbox.dataDir } });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `fleet-mcp: fleet config ${sandbox.configFile}: Role "test" is limited to unknown project(s) "elsewhere". Projects: "repo", "plain".`,
    );
  });
});
