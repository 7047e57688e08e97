import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../src/fleet/fleet.js';
import type { RolesConfig } from '../../src/fleet/roles.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { eventually, isRunning, logTexts, Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

// Starts a background sleep detached from the task's pipes, says its pid, then ends as the task text asks; a path
// for a task: once that file exists, it says it runs on, and waits.
const SPAWNER =
  'sleep 300 >/dev/null 2>&1 & echo "BG $!"; case "$1" in wait) sleep 60 ;; done) sleep 1 ;; fail) sleep 1; exit 3 ;; ' +
  '/*) until [ -e "$1" ]; do sleep 0.05; done; echo "running on"; sleep 60 ;; esac';

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
    const clock = new ManualClock(Date.now());
    const fleet = await sandbox.fleet({ clock, rolesConfig: spawnerRoles({ timeout: '1s' }) });
    const go = join(sandbox.dir('fleet-gate-'), 'go');
    await fleet.createAgent({ name: 'spawner', project: 'plain', task: go });
    const pid = await backgroundPid(fleet, 'spawner');
    clock.advance(999);
    // A timeout would have sent its SIGINT by now, within advance(): the task it ended never sees the file.
    writeFileSync(go, '');
    await eventually(async () => ((await logTexts(fleet, 'spawner')).includes('running on') ? true : undefined));
    clock.advance(1);
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

// Prints a line, then waits for the file of that line's number in the folder it is given, five times over.
const TICKER = 'for n in 1 2 3 4 5; do echo tick; until [ -e "$1/$n" ]; do sleep 0.05; done; done';

describe('a task that prints nothing for its idle timeout', () => {
  function idleRoles(): RolesConfig {
    const rolesConfig = sandbox.rolesConfig({
      ticker: { command: ['/bin/sh', '-c', TICKER, 'sh', '{task}'], idle_timeout: '1s' },
    });
    rolesConfig.test!.idle_timeout = '1s';
    return rolesConfig;
  }

  it('ends failed, saying so', async () => {
    const clock = new ManualClock(Date.now());
    const fleet = await sandbox.fleet({ clock, rolesConfig: idleRoles() });
    await fleet.createAgent({ name: 'silent', project: 'plain', task: task({ sleepMs: 60_000 }) });
    const agent = await eventually(() => {
      clock.advance(1000);
      const silent = fleet.showAgent('silent');
      return silent.status === 'idle' ? silent : undefined;
    }, 60_000);
    expect(agent.last_task).toMatchObject({ status: 'failed', reason: 'no output for 1s' });
    expect((await logTexts(fleet, 'silent')).at(-1)).toMatch(/failed: no output for 1s$/);
  });

  it('runs on while it keeps printing', async () => {
    const clock = new ManualClock(Date.now());
    const fleet = await sandbox.fleet({ clock, rolesConfig: idleRoles() });
    const gates = sandbox.dir('fleet-gates-');
    await fleet.createAgent({ name: 'chatty', project: 'plain', role: 'ticker', task: gates });
    const ticks = async (): Promise<number> =>
      (await logTexts(fleet, 'chatty')).filter((text) => text === 'tick').length;
    for (let tick = 1; tick <= 5; tick++) {
      const seen = await eventually(async () => {
        const count = await ticks();
        return count >= tick || fleet.showAgent('chatty').status === 'idle' ? count : undefined;
      }, 60_000);
      expect(seen, JSON.stringify(fleet.showAgent('chatty').last_task)).toBe(tick);
      // Most of the idle timeout passes after each line: five times over, it is passed in all.
      clock.advance(800);
      writeFileSync(join(gates, String(tick)), '');
    }
    const { agent } = await fleet.waitForAgent('chatty', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'completed' });
    expect(await ticks()).toBe(5);
  });
});
