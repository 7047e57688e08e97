import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_COMMAND } from '../../src/commands/host-command.js';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { eventually } from '../fleet/helpers.js';
import { CLI } from '../helpers/cli.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { killHost } from '../helpers/stdio-client.js';
import { startFleetServer } from './fleet-server.js';
import { createShellFleet, runTask, SHELL } from './shell-fleet.js';

// fds a parent leaves open without close-on-exec pass to every process started after, agents included. The server
// and the background host are started here with a socket at fd 3 and a writable file at fd 4 and at fd 40, as a
// careless parent would; what they hold afterwards, and what their agents get, is looked at from outside. (Node
// itself marks the low ones close-on-exec as it starts, up to about fd 15, but not fd 40.)

const BWRAP = probeBwrap(process.env.PATH);
const roots: string[] = [];
const hostDataDirs: string[] = [];

afterAll(() => {
  killServers();
  hostDataDirs.forEach(killHost);
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  expectNoSecretInLogs();
});

const O_CLOEXEC = 0o2000000;

/** The fds above stderr of a process that an exec would pass on, with what they point to. */
function passedOn(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`)
    .filter((fd) => Number(fd) > 2)
    .flatMap((fd) => {
      try {
        const flags = parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]!, 8);
        return (flags & O_CLOEXEC) === 0 ? [`${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`] : [];
      } catch {
        return [];
      }
    });
}

/** A socket at fd 3, and a writable file in `root` at fd 4 and at fd 40. */
function plantedFds(root: string): { stdio: (number | 'pipe' | 'ignore')[]; close(): void } {
  const file = openSync(join(root, 'planted.txt'), 'a');
  return { stdio: ['pipe', file, ...Array<'ignore'>(35).fill('ignore'), file], close: () => closeSync(file) };
}

/** The task's first process lists its own fds; the echo after keeps the shell from exec'ing ls in its place. */
const LIST_FDS = 'ls -l /proc/$$/fd; echo listed';

function fdsOf(lines: string[]): string[] {
  return lines.flatMap((line) => /^[l-][rwx-]{9} .* (\d+) -> (.*)$/.exec(line)?.slice(1, 3).join(' -> ') ?? []).sort();
}

function createFleet() {
  const fleet = createShellFleet('fleet-mcp-fds-test', {
    jailed: { command: SHELL, sandbox: true, default: true },
    open: { command: SHELL, sandbox: false },
  });
  roots.push(fleet.sandbox.root);
  return fleet;
}

describe('file descriptors the server inherited', () => {
  it('are closed by serve, so no agent, sandboxed or not, gets any fd but 0, 1 and 2', async () => {
    const fleet = createFleet();
    const planted = plantedFds(fleet.sandbox.root);
    const server = await startFleetServer(fleet, {}, { extraFds: planted.stdio });
    planted.close();
    expect(passedOn(server.server.process.pid!)).toEqual([]);

    const open = await runTask(server, 'open', 'open', LIST_FDS);
    expect(open.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(fdsOf(open.lines).map((fd) => fd.split(' ')[0])).toEqual(['0', '1', '2']);
    if (BWRAP.problem === undefined || process.env.CI) {
      const jailed = await runTask(server, 'jailed', 'jailed', LIST_FDS);
      expect(jailed.lines).toContain('sandboxed by bwrap, network on, host loopback ports: none');
      expect(fdsOf(jailed.lines)).toEqual([
        '0 -> /dev/null',
        `1 -> ${join(fleet.dataDir, 'logs')}/jailed/${jailed.task.id}.run/stdout`,
        `2 -> ${join(fleet.dataDir, 'logs')}/jailed/${jailed.task.id}.run/stderr`,
      ]);
    }
    await server.server.stop();
  });

  it('are closed by the background host of stdio clients', async () => {
    const fleet = createFleet();
    hostDataDirs.push(fleet.dataDir);
    const planted = plantedFds(fleet.sandbox.root);
    const host = spawn(
      process.execPath,
      [CLI, HOST_COMMAND, '--config', fleet.configFile, '--data-dir', fleet.dataDir],
      {
        cwd: fleet.sandbox.cwd,
        env: fleet.sandbox.env,
        stdio: ['ignore', 'ignore', 'ignore', ...planted.stdio],
      },
    );
    planted.close();
    await eventually(() => existsSync(join(fleet.dataDir, 'fleet.sock')) || undefined, 20_000);
    expect(passedOn(host.pid!)).toEqual([]);
    host.kill('SIGKILL');
  });
});
