import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { captureLog, expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { startStdioClient, stopStdioClients } from '../helpers/stdio-client.js';
import { fleetServerToken, startFleetServer } from './fleet-server.js';
import { createShellFleet, runTask, SHELL } from './shell-fleet.js';

// A sandboxed agent sees the host read-only, but connect() works on a read-only bind mount: without the seccomp
// filter it reaches another fleet's fleet.sock, docker's socket, an ssh-agent. A role may allow unix sockets (for
// docker's); even then no fleet takes the agent as a client, for every sandbox has a network namespace of its own.
// The fake agent's task is that attack, run once unsandboxed as the control.

const BWRAP = probeBwrap(process.env.PATH);
const roots: string[] = [];
const listeners: Server[] = [];
const REFUSED_LOG = 'refused a socket client from another network namespace';

afterAll(async () => {
  await stopStdioClients();
  killServers();
  for (const listener of listeners) listener.close();
  // Read before the roots go: the background host's log is in its data dir.
  try {
    expectNoSecretInLogs();
  } finally {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  }
});

/**
 * Says the attach hello on each socket in turn, the folder to take as a project in it; where a fleet attaches it,
 * asks for its agents. Prints what answered, or why nothing did.
 */
const ATTACK = `
const net = require('node:net');
const [cwd, ...targets] = process.argv.slice(2);
const lines = [
  { fleet_mcp_attach: 1, cwd, version: '0' },
  { jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attack', version: '0' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_agents', arguments: {} } },
].map((line) => JSON.stringify(line) + '\\n');
function attack(target) {
  return new Promise((done) => {
    const end = (text) => { socket.destroy(); done(target + ' ' + text); };
    const socket = net.connect(target.startsWith('@') ? '\\0' + target.slice(1) : target, () => socket.write(lines[0]));
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk;
      for (let at = buffered.indexOf('\\n'); at !== -1; at = buffered.indexOf('\\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        let message = {};
        try { message = JSON.parse(line); } catch {}
        if (message.fleet_mcp_refused) return end('REFUSED ' + message.fleet_mcp_refused);
        if (message.fleet_mcp_attached) socket.write(lines.slice(1).join(''));
        else if (message.id === 2) return end('LISTED ' + JSON.stringify(message.result.structuredContent.agents));
        else if (message.id !== 1) return end('ANSWERED ' + line);
      }
    });
    socket.on('error', (error) => done(target + ' ' + error.code));
  });
}
(async () => { for (const target of targets) console.log(await attack(target)); })();
`;

/** A socket like docker's or an ssh-agent's, abstract when the name starts with @: it answers any line with one. */
function plantListener(path: string): Promise<void> {
  const server = createServer((socket) => socket.once('data', () => socket.end('planted listener\n')));
  listeners.push(server);
  return new Promise((resolve) => server.listen(path.startsWith('@') ? `\0${path.slice(1)}` : path, resolve));
}

function refusalLines(log: string): string[] {
  return log.split('\n').filter((line) => line.includes(REFUSED_LOG));
}

describe.skipIf(BWRAP.problem !== undefined && !process.env.CI)('unix sockets from a sandboxed agent', () => {
  it('reach no fleet-mcp socket, of its own fleet or another (serve or background), whatever its role allows', async () => {
    const roles = {
      jailed: { command: SHELL, sandbox: true, default: true },
      open: { command: SHELL, sandbox: false },
      trusted: { command: SHELL, sandbox: { unix_sockets: true } },
    };
    const fleet = createShellFleet('fleet-mcp-sockets-test', roles);
    // Two other fleets on data dirs of their own: a `serve`, and a background host that stdio clients started
    // without a config, which takes each client's folder as a project.
    const other = createShellFleet('fleet-mcp-sockets-other', roles);
    const background = createShellFleet('fleet-mcp-sockets-host', roles);
    roots.push(fleet.sandbox.root, other.sandbox.root, background.sandbox.root);
    const server = await startFleetServer(fleet);
    const otherServer = await startFleetServer(other);
    const host = await startStdioClient(background.sandbox, {
      env: { FLEET_MCP_DATA_DIR: background.dataDir },
      cwd: background.plain,
    });
    const hostLog = (): string => readFileSync(join(background.dataDir, 'host.log'), 'utf8');
    captureLog('background host', hostLog);

    const attack = join(fleet.sandbox.root, 'attack.cjs');
    writeFileSync(attack, ATTACK);
    const planted = join(fleet.sandbox.root, 'docker.sock');
    const abstract = `@fleet-mcp-test-${randomBytes(6).toString('hex')}`;
    await plantListener(planted);
    await plantListener(abstract);
    const [otherSocket, hostSocket, ownSocket] = [other, background, fleet].map(({ dataDir }) =>
      join(dataDir, 'fleet.sock'),
    );
    const targets = [otherSocket, hostSocket, ownSocket, planted, abstract];
    const script = (folder: string): string => {
      const cwd = join(fleet.sandbox.root, folder);
      mkdirSync(cwd);
      return `${process.execPath} ${attack} ${cwd} ${targets.join(' ')}`;
    };

    // The control: unsandboxed, the attack reaches every socket, and every fleet serves it.
    const open = await runTask(server, 'control', 'open', script('loot-open'));
    expect(open.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(open.lines).toEqual(
      expect.arrayContaining([
        `${otherSocket} LISTED []`,
        `${hostSocket} LISTED []`,
        expect.stringMatching(new RegExp(`^${ownSocket} LISTED \\[.*"name":"control"`)),
        `${planted} ANSWERED planted listener`,
        `${abstract} ANSWERED planted listener`,
      ]),
    );

    const jailed = await runTask(server, 'jailed', 'jailed', script('loot-jailed'));
    expect(jailed.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(jailed.lines).toContain('sandboxed by bwrap, network on, host loopback ports: none');
    expect(jailed.lines).toEqual(expect.arrayContaining(targets.map((target) => `${target} EACCES`)));

    // A role that allows unix sockets reaches what the host shows it, docker's socket say, but no fleet serves it:
    // the other two refuse it, its own is hidden with the data dir, and an abstract name is another namespace's.
    const trusted = await runTask(server, 'trusted', 'trusted', script('loot-trusted'));
    expect(trusted.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(trusted.lines).toContain('sandboxed by bwrap, network on, host loopback ports: none, unix sockets allowed');
    const refused =
      'REFUSED this fleet serves only clients in its own network namespace, none from an agent sandbox or a container with a network of its own';
    expect(trusted.lines).toEqual(
      expect.arrayContaining([
        `${otherSocket} ${refused}`,
        `${hostSocket} ${refused}`,
        `${ownSocket} ENOENT`,
        `${planted} ANSWERED planted listener`,
        `${abstract} ECONNREFUSED`,
      ]),
    );

    // Each fleet said so in one line, naming no token; the background host took the control's folder, not the agent's.
    const otherRefusals = refusalLines(otherServer.server.output());
    expect(otherRefusals).toHaveLength(1);
    expect(otherRefusals[0]).not.toContain(fleetServerToken(other, {}));
    expect(refusalLines(hostLog())).toHaveLength(1);
    const projects = (await host.ok<{ projects: { path: string }[] }>('list_agent_projects')).projects;
    expect(projects.map((project) => project.path)).toEqual([background.plain, join(fleet.sandbox.root, 'loot-open')]);
    await Promise.all([server.server.stop(), otherServer.server.stop()]);
  }, 120_000);
});
