import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { createFleetSandbox, type FleetServer, startFleetServer, task } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';

// The reload follows the file, so the first test's server runs in this process; SIGHUP is the real process's.
afterAll(async () => {
  await stopInProcessServers();
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

async function roleNames(fleet: { ok: FleetServer['ok'] }): Promise<string[]> {
  return (await fleet.ok('list_agent_roles', { project: 'repo' })).roles.map((role: { name: string }) => role.name);
}

describe('the fleet config reloads live', () => {
  it('adds a role while a task runs, without touching the task', async () => {
    const sandbox = createFleetSandbox();
    const fleet = await startInProcessFleetServer(sandbox);
    // The task ends when the test makes this file, once the reload is done: however slow the machine.
    const go = join(sandbox.sandbox.root, 'runner-go');
    await fleet.ok('create_agent', {
      name: 'runner',
      project: 'repo',
      task: task({ lines: ['working'], waitForFile: go }),
    });
    const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
    config.roles.second = { ...config.roles.test, description: 'added while a task ran', default: false };
    writeFileSync(sandbox.configFile, JSON.stringify(config));

    await expect.poll(() => roleNames(fleet), { timeout: 10_000 }).toContain('second');
    expect((await fleet.ok('show_agent', { name: 'runner' })).status).toBe('busy');
    writeFileSync(go, '');
    expect((await fleet.ok('wait_for_agent', { name: 'runner', timeout_seconds: 30 })).agent.last_task.status).toBe(
      'completed',
    );
    await fleet.ok('create_agent', { name: 'newcomer', project: 'repo', role: 'second', task: task({}) });
    expect((await fleet.ok('wait_for_agent', { name: 'newcomer', timeout_seconds: 30 })).agent.last_task.status).toBe(
      'completed',
    );
    await fleet.server.stop();
  });

  it('keeps the last good config after a bad edit, with one log line naming the file, and says when a role is gone', async () => {
    const sandbox = createFleetSandbox();
    const fleet = await startFleetServer(sandbox);
    await fleet.ok('create_agent', { name: 'veteran', project: 'repo', task: task({}) });
    await fleet.ok('wait_for_agent', { name: 'veteran', timeout_seconds: 30 });
    const good = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
    writeFileSync(sandbox.configFile, '{"projects": ');

    const problems = (): string[] =>
      fleet.server
        .output()
        .split('\n')
        .filter((line) => line.includes('fleet config unusable'));
    await expect.poll(() => problems().length, { timeout: 10_000 }).toBe(1);
    expect(JSON.parse(problems()[0]!)).toMatchObject({
      file: sandbox.configFile,
      reason: expect.stringContaining('is not valid JSON'),
    });
    expect(await roleNames(fleet)).toEqual(['test']);
    // SIGHUP reads the file again; the same problem is not logged twice.
    fleet.server.process.kill('SIGHUP');
    await expect
      .poll(() => fleet.server.output(), { timeout: 10_000 })
      .toContain('SIGHUP: reloading the token files and the fleet config');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(problems()).toHaveLength(1);

    const { test, ...rest } = good.roles;
    writeFileSync(
      sandbox.configFile,
      JSON.stringify({ ...good, roles: { ...rest, other: { ...test, default: true } } }),
    );
    await expect.poll(() => roleNames(fleet), { timeout: 10_000 }).toEqual(['other']);
    expect(await fleet.fails('start_agent_task', { name: 'veteran', task: task({}) })).toContain(
      'The role "test" of agent "veteran" is no longer configured',
    );
    await fleet.server.stop();
  });
});
