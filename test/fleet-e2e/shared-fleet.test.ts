import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HOST_COMMAND } from '../../src/commands/host-command.js';
import { CLI, runCli } from '../helpers/cli.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';
import { hostPid, killHost, startStdioClient, stopStdioClients, type StdioClient } from '../helpers/stdio-client.js';
import { eventually } from '../fleet/helpers.js';
import { createFleetSandbox, startFleetServer, task, type FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

/** Raw stdio processes a test started, and the data dirs whose background fleet they may have started. */
const children: { child: ChildProcess; dataDir: string }[] = [];

afterEach(async () => {
  for (const { child, dataDir } of children.splice(0)) {
    child.kill('SIGKILL');
    killHost(dataDir);
  }
  await stopStdioClients();
  killServers();
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function fleetEnv(fleet: FleetSandbox): NodeJS.ProcessEnv {
  return { FLEET_MCP_CONFIG: fleet.configFile, FLEET_MCP_DATA_DIR: fleet.dataDir };
}

async function agentNames(client: {
  ok: (tool: string) => Promise<{ agents: { name: string }[] }>;
}): Promise<string[]> {
  return (await client.ok('list_agents')).agents.map((agent) => agent.name).sort();
}

async function createAgent(client: StdioClient, name: string): Promise<void> {
  await client.ok('create_agent', {
    name,
    project: 'repo',
    task: task({ lines: [`hello from ${name}`], commit: `${name}.txt` }),
  });
  await client.ok('wait_for_agent', { name: name, timeout_seconds: 30 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('one fleet, many clients', () => {
  it('two stdio clients and serve on one data dir create and list the same agents', async () => {
    const fleet = createFleetSandbox();
    const a = await startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) });
    const b = await startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) });
    const host = hostPid(fleet.dataDir);
    expect(host).not.toBeNull();
    // The socket is the data dir owner's alone.
    expect(statSync(join(fleet.dataDir, 'fleet.sock')).mode & 0o777).toBe(0o600);
    expect(statSync(fleet.dataDir).mode & 0o777).toBe(0o700);

    await createAgent(a, 'from-a');
    await createAgent(b, 'from-b');
    expect(await agentNames(a)).toEqual(['from-a', 'from-b']);
    expect(await agentNames(b)).toEqual(['from-a', 'from-b']);
    expect(hostPid(fleet.dataDir)).toBe(host);

    // serve takes the fleet over from the background host; the stdio clients follow it, their sessions intact.
    const server = await startFleetServer(fleet);
    expect(await eventually(() => (isAlive(host!) ? undefined : true), 15_000)).toBe(true);
    expect(hostPid(fleet.dataDir)).toBeNull();
    expect(await agentNames(server)).toEqual(['from-a', 'from-b']);
    await createAgent(a, 'after-serve');
    expect(await agentNames(b)).toEqual(['after-serve', 'from-a', 'from-b']);
    const viaHttp = await server.ok('show_agent', { name: 'after-serve' });
    expect(viaHttp.last_task).toMatchObject({ status: 'completed', exit_code: 0 });

    // When serve stops, the clients start a background fleet again and go on.
    await server.client.close();
    expect(await server.server.stop()).toBe(0);
    expect(await agentNames(b)).toEqual(['after-serve', 'from-a', 'from-b']);
    expect(hostPid(fleet.dataDir)).not.toBeNull();
  });

  it('answers a call in flight with an MCP error when the fleet goes away; the session goes on with the next fleet', async () => {
    const fleet = createFleetSandbox();
    const a = await startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) });
    const updated: string[] = [];
    a.client.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (notification) => void updated.push(notification.params.uri),
    );
    await a.ok('create_agent', {
      name: 'slow',
      project: 'repo',
      task: task({ sleepMs: 20_000, ticks: { count: 200, everyMs: 100 } }),
    });
    await a.client.subscribeResource({ uri: 'fleet://agents/slow/log' });
    const waiting = a.call('wait_for_agent', { name: 'slow', timeout_seconds: 40 }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const host = hostPid(fleet.dataDir)!;
    process.kill(host, 'SIGKILL');
    expect(await waiting).toMatch(
      /MCP error -32000: the fleet-mcp server on this data dir stopped while this call ran/,
    );
    // The agent's task outlives the fleet that started it, and the next fleet follows it.
    const agent = await a.ok('show_agent', { name: 'slow' });
    expect(agent.status).toBe('busy');
    expect(hostPid(fleet.dataDir)).not.toBe(host);
    // The client's subscription was carried over to the next fleet: the agent's new log lines are told.
    updated.length = 0;
    expect(await eventually(() => (updated.includes('fleet://agents/slow/log') ? true : undefined))).toBe(true);
    await a.ok('cancel_agent_task', { name: 'slow' });
  });

  it('gives the MCP client the reason as an MCP error when no fleet can start', async () => {
    const fleet = createFleetSandbox();
    writeFileSync(fleet.configFile, '{ not json');
    const started = startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) });
    await expect(started).rejects.toThrow(/MCP error -32000: fleet-mcp: fleet config .*fleet\.json is not valid JSON/);
  });

  it('makes the folder each stdio client starts in a project when the config names none, never /', async () => {
    const fleet = createFleetSandbox();
    const env = { FLEET_MCP_DATA_DIR: fleet.dataDir };
    const inRepo = await startStdioClient(fleet.sandbox, { env, cwd: fleet.repo });
    const inPlain = await startStdioClient(fleet.sandbox, { env, cwd: fleet.plain });
    const inRoot = await startStdioClient(fleet.sandbox, { env, cwd: '/' });
    const listed = await inRoot.ok('list_agent_projects');
    expect(listed.projects.map((project: { name: string; path: string }) => [project.name, project.path])).toEqual([
      ['repo', fleet.repo],
      ['plain', fleet.plain],
    ]);
    expect(await inRepo.ok('list_agent_projects')).toEqual(listed);
    expect(await inPlain.ok('list_agent_projects')).toEqual(listed);
  });

  // The config's reading is the subject, not the process: serve runs in this one, in /.
  it('serve started in / without a config has no project and says how to add one', async () => {
    const fleet = createFleetSandbox();
    const server = await startInProcessFleetServer(
      { ...fleet, sandbox: { ...fleet.sandbox, cwd: '/' } },
      { FLEET_MCP_CONFIG: undefined },
    );
    const listed = await server.ok('list_agent_projects');
    expect(listed).toEqual({
      projects: [],
      total_count: 0,
      hint: expect.stringContaining('add them under "projects" in the fleet config'),
    });
    expect(await server.fails('create_agent', { name: 'x', project: 'root', task: 'hi' })).toContain(
      'No projects are configured',
    );
    const warning = server.server
      .output()
      .split('\n')
      .find((line) => line.includes('No projects are configured'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, cwd: '/' });
  });

  it("never hands a client to a socket it cannot trust: another user's data dir, or something not a socket", async () => {
    const fleet = createFleetSandbox();
    mkdirSync(fleet.dataDir, { mode: 0o700 });
    writeFileSync(join(fleet.dataDir, 'fleet.sock'), 'not a socket');
    await expect(startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) })).rejects.toThrow(
      /MCP error -32000: fleet-mcp: .*fleet\.sock is not a socket owned by you or root .*remove it/,
    );
    rmSync(join(fleet.dataDir, 'fleet.sock'));
    chownSync(fleet.dataDir, 65534, 65534);
    await expect(startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) })).rejects.toThrow(
      /MCP error -32000: fleet-mcp: data dir .* is owned by uid 65534, not by you/,
    );
  });

  it("a serve that cannot listen leaves the stdio clients' fleet alone", async () => {
    const fleet = createFleetSandbox();
    const a = await startStdioClient(fleet.sandbox, { env: fleetEnv(fleet) });
    const host = hostPid(fleet.dataDir);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const failed = await expectStartFailure(fleet.sandbox, { env: { ...fleetEnv(fleet), FLEET_MCP_PORT: port } });
      expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining(`port ${port} is in use`) });
    } finally {
      taken.close();
    }
    expect(hostPid(fleet.dataDir)).toBe(host);
    expect(await agentNames(a)).toEqual([]);
  });

  it('answers at once, with an MCP error, a request past the 1,000 that wait while the fleet starts', async () => {
    const fleet = createFleetSandbox();
    const child = spawn(process.execPath, [CLI, 'stdio'], {
      cwd: fleet.sandbox.cwd,
      env: { ...fleet.sandbox.env, ...fleetEnv(fleet) },
      stdio: 'pipe',
    });
    children.push({ child, dataDir: fleet.dataDir });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const lines = Array.from({ length: 1001 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'ping' }));
    child.stdin.write(`${lines.join('\n')}\n`);
    await expect.poll(() => stdout.includes('"id":1001'), { timeout: 30_000 }).toBe(true);
    const answers = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    // The first answer is the refusal: the 1,000 before it waited for the fleet, which answered them after.
    expect(answers[0]).toEqual({
      jsonrpc: '2.0',
      id: 1001,
      error: { code: -32000, message: 'fleet-mcp: too many messages are waiting for the fleet to answer' },
    });
    child.stdin.end();
  });

  it('a background fleet started by hand on a data dir too long for its socket says so and opens nothing', async () => {
    const fleet = createFleetSandbox();
    const dataDir = join(fleet.sandbox.root, 'd'.repeat(120));
    const env = { ...fleetEnv(fleet), FLEET_MCP_DATA_DIR: dataDir };
    const result = await runCli(fleet.sandbox, [HOST_COMMAND], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`the data dir path ${dataDir} is too long for the local socket`);
    expect(result.stderr).toContain('choose a shorter FLEET_MCP_DATA_DIR');
    // Checked before the fleet opens: no lock, no state, not even the data dir.
    expect(existsSync(dataDir)).toBe(false);
  });
});

// The socket's guards are the subject: one serve, in this process, owns the socket for these tests. Neither changes
// the fleet; each connects its own socket client.
describe('the fleet socket', () => {
  let fleet: FleetSandbox;
  let server: InProcessFleetServer;

  beforeAll(async () => {
    fleet = createFleetSandbox();
    server = await startInProcessFleetServer(fleet);
  });

  afterAll(() => server?.server.stop());

  /** What the socket answers a client that says the hello, up to its first line. */
  function attach(): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(join(fleet.dataDir, 'fleet.sock'));
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write(`${JSON.stringify({ fleet_mcp_attach: 1, cwd: fleet.sandbox.cwd, version: 'test' })}\n`);
    });
  }

  it('refuses a socket client that does not say a fleet-mcp hello, and keeps serving', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(join(fleet.dataDir, 'fleet.sock'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n');
    });
    expect(JSON.parse(answer)).toEqual({ fleet_mcp_refused: expect.stringContaining('not a fleet-mcp attach hello') });
    expect(await attach()).toContain('fleet_mcp_attached');
    expect(await agentNames(server)).toEqual([]);
  });

  it('closes a socket client whose message outgrows the limit, so it is not left waiting', async () => {
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(join(fleet.dataDir, 'fleet.sock'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      // The fleet may close it while the message is still being written (EPIPE): that is the close awaited.
      socket.on('error', () => resolve(text));
      socket.write(`${JSON.stringify({ fleet_mcp_attach: 1, cwd: fleet.sandbox.cwd, version: 'test' })}\n`);
      socket.write(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(11 * 1024 * 1024)}`);
    });
    expect(closed).toContain('fleet_mcp_attached');
  });
});
