import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../src/fleet/fleet.js';
import type { RolesConfig } from '../../src/fleet/roles.js';
import { eventually, isRunning, logTexts, Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

// Starts a background sleep detached from the task's pipes, says its pid, then ends as the task text asks.
const SPAWNER =
  'sleep 300 >/dev/null 2>&1 & echo "BG $!"; case "$1" in wait) sleep 60 ;; done) sleep 1 ;; fail) sleep 1; exit 3 ;; esac';

function spawnerRoles(extra: Partial<RolesConfig[string]> = {}): RolesConfig {
  return { spawner: { command: ['/bin/sh', '-c', SPAWNER, 'sh', '{task}'], default: true, ...extra } };
}

async function backgroundPid(fleet: Fleet, name: string): Promise<number> {
  const line = await eventually(async () => (await logTexts(fleet, name)).find((text) => text.startsWith('BG ')));
  const pid = Number(line.slice(3));
  expect(isRunning(pid)).toBe(true);
  return pid;
}

describe('a task ends with every process it started', () => {
  it.each([
    ['completes', 'done', 'completed'],
    ['fails', 'fail', 'failed'],
  ])('when it %s on its own', async (_, text, status) => {
    const fleet = await sandbox.fleet({ rolesConfig: spawnerRoles() });
    await fleet.createAgent({ name: 'spawner', project: 'plain', task: text });
    const pid = await backgroundPid(fleet, 'spawner');
    const { agent } = await fleet.waitForAgent('spawner', 20_000);
    expect(agent.last_task?.status).toBe(status);
    expect(isRunning(pid)).toBe(false);
  });

  it('when it is canceled', async () => {
    const fleet = await sandbox.fleet({ rolesConfig: spawnerRoles() });
    await fleet.createAgent({ name: 'spawner', project: 'plain', task: 'wait' });
    const pid = await backgroundPid(fleet, 'spawner');
    expect((await fleet.cancelTask('spawner')).last_task?.status).toBe('canceled');
    expect(isRunning(pid)).toBe(false);
  });

  it('when it times out', async () => {
    const fleet = await sandbox.fleet({ rolesConfig: spawnerRoles({ timeout: '1s' }) });
    await fleet.createAgent({ name: 'spawner', project: 'plain', task: 'wait' });
    const pid = await backgroundPid(fleet, 'spawner');
    const { agent } = await fleet.waitForAgent('spawner', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'failed', reason: 'timed out after 1s' });
    expect(isRunning(pid)).toBe(false);
  });

  it('when its agent is deleted, and when the server shuts down', async () => {
    const fleet = await sandbox.fleet({ rolesConfig: spawnerRoles() });
    await fleet.createAgent({ name: 'deleted', project: 'plain', task: 'wait' });
    await fleet.createAgent({ name: 'atshutdown', project: 'plain', task: 'wait' });
    const pids = [await backgroundPid(fleet, 'deleted'), await backgroundPid(fleet, 'atshutdown')];
    await fleet.deleteAgent('deleted');
    expect(isRunning(pids[0]!)).toBe(false);
    await fleet.shutdown();
    expect(isRunning(pids[1]!)).toBe(false);
  });
});

describe('a task that prints nothing for its idle timeout', () => {
  it('ends failed, saying so', async () => {
    const rolesConfig = sandbox.rolesConfig();
    rolesConfig.test!.idle_timeout = '1s';
    const fleet = await sandbox.fleet({ rolesConfig });
    await fleet.createAgent({ name: 'silent', project: 'plain', task: task({ sleepMs: 60_000 }) });
    const { agent } = await fleet.waitForAgent('silent', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'failed', reason: 'no output for 1s' });
    expect((await logTexts(fleet, 'silent')).at(-1)).toMatch(/failed: no output for 1s$/);
  });

  it('runs on while it keeps printing', async () => {
    const rolesConfig = sandbox.rolesConfig();
    rolesConfig.test!.idle_timeout = '1s';
    const fleet = await sandbox.fleet({ rolesConfig });
    await fleet.createAgent({
      name: 'chatty',
      project: 'plain',
      task: task({ ticks: { count: 8, everyMs: 300 }, sleepMs: 2600 }),
    });
    const { agent } = await fleet.waitForAgent('chatty', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'completed' });
    expect((await logTexts(fleet, 'chatty')).filter((text) => text === 'tick')).toHaveLength(8);
  });
});
