import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HOST_COMMAND, HOST_IDLE_CHECK_MS, HOST_IDLE_EXIT_MS } from '../../src/commands/host-command.js';
import { CLI } from '../helpers/cli.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { eventually } from '../fleet/helpers.js';
import { createFleetSandbox, type FleetSandbox } from './fleet-server.js';

const hosts: ChildProcess[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const host of hosts.splice(0)) host.kill('SIGKILL');
});

afterAll(() => cleanupSandboxes());

/** The background host started by hand, as a stdio client starts it; settles with its exit code. */
function startHost(fleet: FleetSandbox): Promise<number | null> {
  const env = {
    ...fleet.sandbox.env,
    FLEET_MCP_CONFIG: fleet.configFile,
    FLEET_MCP_DATA_DIR: fleet.dataDir,
    LOG_LEVEL: 'debug',
  };
  const host = spawn(process.execPath, [CLI, HOST_COMMAND], { cwd: fleet.sandbox.cwd, env, stdio: 'ignore' });
  hosts.push(host);
  return new Promise((resolve) => host.once('exit', (code) => resolve(code)));
}

interface RawClient {
  socket: Socket;
  /** Settles when the host has ended its side. */
  ended: Promise<unknown>;
}

/** A socket connected to the host: the socket file exists from its bind, a moment before it listens. */
async function connected(path: string): Promise<Socket> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const socket = connect(path);
    sockets.push(socket);
    const error = await new Promise<Error | null>((resolve) => {
      socket.once('connect', () => resolve(null));
      socket.once('error', resolve);
    });
    if (!error) return socket;
    if (Date.now() > deadline) throw new Error(`could not connect to the host's socket in 30 s: ${error.message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A raw socket client that has said `hello` and read the first thing the host answered. */
async function rawClient(fleet: FleetSandbox, hello: string): Promise<RawClient> {
  const socket = await connected(join(fleet.dataDir, 'fleet.sock'));
  socket.on('error', () => {});
  const ended = new Promise((resolve) => socket.once('end', resolve));
  socket.write(hello);
  const answered = new Promise((resolve) => socket.once('data', resolve));
  const silent = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('the host did not answer a hello in 60 s')), 60_000).unref(),
  );
  await Promise.race([answered, silent]);
  return { socket, ended };
}

/** `count` requests with long answers, written without waiting for the host to take them. */
function flood(socket: Socket, count: number): void {
  const initialize = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } },
  };
  const lines = [
    JSON.stringify(initialize),
    ...Array.from({ length: count }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/list' })),
  ];
  socket.write(`${lines.join('\n')}\n`);
}

function hostLog(fleet: FleetSandbox): { msg: string; time: number; reason?: string; clients?: number }[] {
  return readFileSync(join(fleet.dataDir, 'host.log'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** Settles once the clock has reached `time` (epoch ms). */
function until(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}

describe('background host', () => {
  it('exits once idle for its delay after its last client left, whatever that client did, and never before', async () => {
    const fleet = createFleetSandbox();
    const exited = startHost(fleet);
    await eventually(() => existsSync(join(fleet.dataDir, 'fleet.sock')) || undefined, 30_000);
    const hello = `${JSON.stringify({ fleet_mcp_attach: 1, cwd: fleet.sandbox.cwd, version: 'test' })}\n`;
    // One that floods and vanishes; one refused at its hello that floods and vanishes; one that floods, stays past
    // the moment an idle host would exit, then says it is done (a half-close) and neither reads nor closes.
    const [attached, refused, halfClosed] = await Promise.all([
      rawClient(fleet, hello),
      rawClient(fleet, 'not a hello\n'),
      rawClient(fleet, hello),
    ]);
    // From here on the attached clients read nothing: 100 tool lists (about 1.2 MB) fill the socket's buffers
    // several times over, and the rest piles up on the host's side.
    attached.socket.pause();
    halfClosed.socket.pause();
    flood(attached.socket, 100);
    flood(halfClosed.socket, 100);
    // The refused client's few lines stay unread; it leaves once the host has ended its side.
    flood(refused.socket, 10);
    const notEnded = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('the host did not end the refused client in 60 s')), 60_000).unref(),
    );
    await Promise.race([refused.ended, notEnded]);
    attached.socket.destroy();
    refused.socket.destroy();
    // A host that did not count this client would be idle since the others left, and gone one idle delay and a
    // check later.
    const othersLeft = await eventually(() => hostLog(fleet).find((line) => line.clients === 1), 60_000);
    await until(othersLeft.time + HOST_IDLE_EXIT_MS + 2 * HOST_IDLE_CHECK_MS);
    halfClosed.socket.end();

    // A generous ceiling for a busy machine: only a host that never exits reaches it. The test's own limit is above
    // the sum of its steps' ceilings, so a failure names its step.
    const stillRunning = new Promise<string>((resolve) =>
      setTimeout(() => resolve('still running 60 s after its last client left'), 60_000).unref(),
    );
    expect(await Promise.race([exited, stillRunning])).toBe(0);
    const log = hostLog(fleet);
    const departures = log.filter((line) => line.msg === 'a socket client left');
    expect(departures.map((line) => line.clients)).toEqual([2, 1, 0]);
    const shutdown = log.findIndex((line) => line.msg === 'shutting down');
    expect(log[shutdown]).toMatchObject({ reason: 'no clients and no tasks' });
    // The last client left before the host decided to go, and the host then waited its whole idle delay.
    expect(log.indexOf(departures.at(-1)!)).toBeLessThan(shutdown);
    expect(log[shutdown]!.time - departures.at(-1)!.time).toBeGreaterThanOrEqual(HOST_IDLE_EXIT_MS);
  }, 400_000);
});
