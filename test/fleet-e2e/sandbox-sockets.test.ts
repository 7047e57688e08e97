import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { startFleetServer } from './fleet-server.js';
import { createShellFleet, runTask, SHELL } from './shell-fleet.js';

// A sandboxed agent sees the host read-only, but connect() works on a read-only bind mount: without the seccomp
// filter it reaches another fleet's fleet.sock (which would take a folder of its choosing as a project), docker's
// socket, an ssh-agent. The fake agent's task is that attack, run once unsandboxed as the control.

const BWRAP = probeBwrap(process.env.PATH);
const roots: string[] = [];
const listeners: Server[] = [];

afterAll(() => {
  killServers();
  for (const listener of listeners) listener.close();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  expectNoSecretInLogs();
});

/** Connects to each socket in turn and says the attach hello; prints what answered, or why nothing did. */
const ATTACK = `
const net = require('node:net');
const [cwd, ...targets] = process.argv.slice(2);
const hello = JSON.stringify({ fleet_mcp_attach: 1, cwd, version: '0' }) + '\\n';
(async () => {
  for (const target of targets) {
    const path = target.startsWith('@') ? '\\0' + target.slice(1) : target;
    console.log(await new Promise((done) => {
      const socket = net.connect(path, () => socket.write(hello));
      let reply = '';
      socket.on('data', (chunk) => {
        reply += chunk;
        if (reply.includes('\\n')) { socket.destroy(); done(target + ' ANSWERED ' + reply.split('\\n')[0]); }
      });
      socket.on('error', (error) => done(target + ' ' + error.code));
    }));
  }
})();
`;

/** A socket like docker's or an ssh-agent's, abstract when the name starts with @: it answers any line with one. */
function plantListener(path: string): Promise<void> {
  const server = createServer((socket) => socket.once('data', () => socket.end('planted listener\n')));
  listeners.push(server);
  return new Promise((resolve) => server.listen(path.startsWith('@') ? `\0${path.slice(1)}` : path, resolve));
}

describe.skipIf(BWRAP.problem !== undefined && !process.env.CI)('unix sockets from a sandboxed agent', () => {
  it('reach no fleet-mcp socket, of its own fleet or another, and no other socket of the host, unless its role allows them', async () => {
    const roles = {
      jailed: { command: SHELL, sandbox: true, default: true },
      open: { command: SHELL, sandbox: false },
      trusted: { command: SHELL, sandbox: { unix_sockets: true } },
    };
    const fleet = createShellFleet('fleet-mcp-sockets-test', roles);
    const other = createShellFleet('fleet-mcp-sockets-other', roles);
    roots.push(fleet.sandbox.root, other.sandbox.root);
    const server = await startFleetServer(fleet);
    const otherServer = await startFleetServer(other);
    const attack = join(fleet.sandbox.root, 'attack.cjs');
    writeFileSync(attack, ATTACK);
    const planted = join(fleet.sandbox.root, 'docker.sock');
    const abstract = `@fleet-mcp-test-${randomBytes(6).toString('hex')}`;
    await plantListener(planted);
    await plantListener(abstract);
    const targets = [join(other.dataDir, 'fleet.sock'), join(fleet.dataDir, 'fleet.sock'), planted, abstract];
    const script = `${process.execPath} ${attack} ${fleet.sandbox.root} ${targets.join(' ')}`;

    // The control: unsandboxed, the attack reaches every socket, and both fleets let it attach.
    const open = await runTask(server, 'control', 'open', script);
    expect(open.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(open.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${targets[0]} ANSWERED \\{"fleet_mcp_attached":1`)),
        expect.stringMatching(new RegExp(`^${targets[1]} ANSWERED \\{"fleet_mcp_attached":1`)),
        `${planted} ANSWERED planted listener`,
        `${abstract} ANSWERED planted listener`,
      ]),
    );

    const jailed = await runTask(server, 'jailed', 'jailed', script);
    expect(jailed.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(jailed.lines).toContain('sandboxed by bwrap, network on, host loopback ports: none');
    expect(jailed.lines).toEqual(expect.arrayContaining(targets.map((target) => `${target} EACCES`)));

    // A role that allows unix sockets reaches what the host shows it: the other fleet; its own is hidden with the data dir.
    const trusted = await runTask(server, 'trusted', 'trusted', script);
    expect(trusted.lines).toContain('sandboxed by bwrap, network on, host loopback ports: none, unix sockets allowed');
    expect(trusted.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${targets[0]} ANSWERED \\{"fleet_mcp_attached":1`)),
        `${targets[1]} ENOENT`,
        `${planted} ANSWERED planted listener`,
      ]),
    );
    await Promise.all([server.server.stop(), otherServer.server.stop()]);
  });
});
