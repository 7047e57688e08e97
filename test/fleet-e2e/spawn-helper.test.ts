import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SPAWN_HELPER_COMMAND } from '../../src/fleet/spawn/helper-protocol.js';
import { eventually } from '../fleet/helpers.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { createFleetSandbox, startFleetServer, task } from './fleet-server.js';

// The server starts git and task supervisors through a small helper process of its own (src/fleet/spawn/). It runs
// outside any sandbox as the server's user, so what it holds and how it goes are looked at from outside.

afterAll(() => {
  killServers();
  cleanupSandboxes();
  expectNoSecretInLogs();
});

const O_CLOEXEC = 0o2000000;

/** The spawn helper that `serverPid` started, if one runs. */
function helperOf(serverPid: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (parent === serverPid && argv.includes(SPAWN_HELPER_COMMAND)) return Number(name);
    } catch {
      // Gone since the listing.
    }
  }
  return undefined;
}

function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch {
    return true;
  }
}

/** The fds of a process that an exec would pass on: its channel to the server must not reach what it starts. */
function passedOn(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    const flags = parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    return Number(fd) > 2 && (flags & O_CLOEXEC) === 0;
  });
}

describe('the spawn helper', () => {
  it('holds no token, passes its channel to nothing it starts, comes back when killed and goes with the server', async () => {
    const token = rememberSecret('e2e-helper-token-0123456789-abcdefghijklmnop');
    const fleet = createFleetSandbox();
    const server = await startFleetServer(fleet, {
      FLEET_MCP_AUTH_TOKEN: token,
      FLEET_MCP_STOP_AGENTS_ON_EXIT: 'false',
    });
    const serverPid = server.server.process.pid!;
    await server.ok('create_agent', { name: 'first', project: 'repo', task: task({ lines: ['one'] }) });
    expect(await server.ok('wait_for_agent', { name: 'first', timeout_seconds: 60 })).toMatchObject({
      agent: { status: 'idle' },
    });

    const helper = helperOf(serverPid)!;
    expect(helper).toBeDefined();
    const environ = readFileSync(`/proc/${helper}/environ`, 'utf8');
    expect(environ).not.toContain(token);
    expect(environ.split('\0').filter((entry) => /^(FLEET_MCP_|AUTH_ENABLED=)/.test(entry))).toEqual([]);
    expect(passedOn(helper)).toEqual([]);

    // A terminal's Ctrl+C signals the server's whole group, and systemd's stop its whole cgroup: the helper stays for
    // the server's shutdown, which may still run git through it, and goes only with the server.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(helper, signal);
    await server.ok('show_agent_changes', { name: 'first' });
    await server.ok('show_agent_changes', { name: 'first' });
    expect(isGone(helper)).toBe(false);
    expect(helperOf(serverPid)).toBe(helper);

    // A helper killed between creates: the next one starts again, and so does its task.
    process.kill(helper, 'SIGKILL');
    await eventually(() => (isGone(helper) ? true : undefined));
    await server.ok('create_agent', { name: 'second', project: 'repo', task: task({ lines: ['two'] }) });
    expect(await server.ok('wait_for_agent', { name: 'second', timeout_seconds: 60 })).toMatchObject({
      agent: { status: 'idle', branch: 'fleet/second' },
    });
    const again = helperOf(serverPid)!;
    expect(again).toBeDefined();
    expect(again).not.toBe(helper);

    // No helper outlives its server, however the server went.
    server.server.process.kill('SIGKILL');
    await eventually(() => (isGone(again) ? true : undefined));
  });
});
