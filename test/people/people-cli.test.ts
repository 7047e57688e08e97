import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import type { AgentDetails } from '../../src/fleet/fleet-api.js';
import { startFleetServer, type FleetSandbox, type FleetServer } from '../fleet-e2e/fleet-server.js';
import { createShellFleet, SHELL } from '../fleet-e2e/shell-fleet.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { createSandbox } from '../helpers/sandbox.js';
import { captureLog, expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';

// `status`, `logs`, `diff` and `stop` against a real `serve` with `sh -c` agents, as a person runs them.

let fleet: FleetSandbox;
let server: FleetServer;
let gates: string;

/** Output that would set the terminal's title, clear it and fake a line of the CLI's own, were it printed raw. */
const ATTACK = `printf 'a\\033]0;pwned\\007\\033[2Jb\\rfleet-mcp: fake\\n'`;

beforeAll(async () => {
  fleet = createShellFleet('fleet-mcp-people-cli', {
    sh: { command: SHELL, description: 'runs its task as a script', default: true },
  });
  gates = join(fleet.sandbox.root, 'gates');
  mkdirSync(gates);
  // One slot: a second task waits in the queue, for `stop --all` to take out.
  server = await startFleetServer(fleet, { FLEET_MCP_MAX_BUSY: '1' });
  // One finished agent for status, logs and diff: its output is the terminal attack, its work a file, its end a failure.
  await server.ok('create_agent', {
    name: 'done',
    project: 'repo',
    task: `${ATTACK}; printf 'hello\\n' > greeting.txt; exit 3`,
  });
  await waitIdle('done');
});

afterAll(() => {
  killServers();
  rmSync(fleet.sandbox.root, { recursive: true, force: true });
  expectNoSecretInLogs();
});

function cli(args: string[], dataDir = fleet.dataDir): Promise<CliResult> {
  return runCli(fleet.sandbox, args, { FLEET_MCP_DATA_DIR: dataDir });
}

/** A task that says it started, waits until the test opens its gate, then ends. */
function gated(name: string): string {
  return `echo "${name} started"; while [ ! -e '${join(gates, name)}' ]; do sleep 0.1; done; echo "${name} finished"`;
}

function open(name: string): void {
  writeFileSync(join(gates, name), '');
}

async function waitIdle(name: string): Promise<AgentDetails> {
  return (await server.ok('wait_for_agent', { name, timeout_seconds: 60 })).agent;
}

/** One line on stderr, no stack trace. */
function expectOneLine(result: CliResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('status, logs, diff', () => {
  it('status and ps list the agents with state, current task and last outcome, as a table and as JSON', async () => {
    await server.ok('create_agent', { name: 'runner', project: 'repo', task: gated('runner') });

    const table = await cli(['ps']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE\s+TASK\s+LAST OUTCOME$/);
    expect(lines.find((line) => line.startsWith('done '))).toMatch(/failed: exit code 3/);
    expect(lines.find((line) => line.startsWith('runner '))).toMatch(/(busy|starting).*echo "runner started"/);

    const json = await cli(['status', '--json']);
    expect(json.code).toBe(0);
    const agents = JSON.parse(json.stdout).agents;
    expect(agents.find((agent: { name: string }) => agent.name === 'done')).toMatchObject({
      current_task: null,
      last_outcome: { status: 'failed', reason: 'exit code 3' },
    });
    expect(agents.find((agent: { name: string }) => agent.name === 'runner')).toMatchObject({
      current_task: { description: gated('runner') },
    });
    expect(typeof agents[0].age_seconds).toBe('number');

    open('runner');
    await waitIdle('runner');
  });

  it('logs -f follows a task until it ends; on an idle agent it says there is nothing to follow', async () => {
    await server.ok('create_agent', { name: 'follow', project: 'repo', task: gated('follow') });
    const child = spawn(process.execPath, [CLI, 'logs', 'follow', '-f'], {
      cwd: fleet.sandbox.cwd,
      env: { ...fleet.sandbox.env, FLEET_MCP_DATA_DIR: fleet.dataDir },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('follow started')) resolve();
      }),
    );
    expect(stdout).not.toContain('follow finished');
    open('follow');
    expect(await exited).toBe(0);
    captureLog('logs -f (stderr)', () => stderr);
    expect(stdout).toMatch(/ stdout follow finished\n/);

    const idle = await cli(['logs', 'follow', '-f']);
    expect(idle.code).toBe(0);
    expect(idle.stdout).toContain('follow finished');
    expect(idle.stderr).toMatch(/follow runs no task, so there is nothing to follow/);
  });

  it("an agent's output cannot write terminal escapes or fake lines to the person's terminal", async () => {
    const [logs, status] = await Promise.all([cli(['logs', 'done']), cli(['status'])]);
    for (const result of [logs, status]) {
      expect(result.code).toBe(0);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach the terminal
      expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    expect(logs.stdout).toContain('a\\u001b]0;pwned\\u0007\\u001b[2Jb\\rfleet-mcp: fake');
  });

  it('diff prints the commits, the diffstat and the diff', async () => {
    const diff = await cli(['diff', 'done']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^done: fleet\/done at [0-9a-f]+, 1 ahead/);
    expect(diff.stdout).toContain('+++ b/greeting.txt');
    expect(diff.stdout).toContain('\n+hello\n');
  });
});

describe('stop', () => {
  it('stop NAME cancels the task; with no task it says so and exits 1', async () => {
    await server.ok('create_agent', { name: 'stoppee', project: 'repo', task: gated('stoppee') });
    const stopped = await cli(['stop', 'stoppee']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^stoppee: task \S+ canceled, agent idle\n$/);
    expectOneLine(await cli(['stop', 'stoppee']), /has no running or queued task to cancel/);
  });

  it('stop --all cancels the running task and takes the queued one out of the queue', async () => {
    await server.ok('create_agent', { name: 'first', project: 'repo', task: gated('first') });
    await server.ok('create_agent', { name: 'second', project: 'repo', task: gated('second') });
    expect((await server.ok('show_agent', { name: 'second' })).status).toBe('pending');

    const stopped = await cli(['stop', '--all']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^second: task \S+ canceled/m);
    expect(stopped.stdout).toMatch(/^first: task \S+ canceled/m);
    const second = await waitIdle('second');
    expect(second.last_task).toMatchObject({ status: 'canceled', started_at: null });
    expect((await waitIdle('first')).last_task?.status).toBe('canceled');

    const again = await cli(['stop', '--all']);
    expect(again).toMatchObject({ code: 0, stdout: '', stderr: 'no agent runs or waits with a task\n' });
  });
});

describe('bad input', () => {
  it('an unknown agent gets one line and exit 1', async () => {
    const results = await Promise.all([cli(['logs', 'nobody']), cli(['diff', 'nobody']), cli(['stop', 'nobody'])]);
    for (const result of results) expectOneLine(result, /No agent named "nobody"/);
  });

  it('stop without a name or --all says how to call it', async () => {
    expectOneLine(await cli(['stop']), /fleet-mcp stop NAME \| fleet-mcp stop --all/);
  });

  it('a data dir where no fleet runs gets one line naming it and how to start one, and starts none', async () => {
    const dataDir = join(fleet.sandbox.root, 'no-fleet');
    const results = await Promise.all(
      [['status'], ['logs', 'x', '-f'], ['stop', '--all']].map((args) => cli(args, dataDir)),
    );
    for (const result of results) {
      expectOneLine(
        result,
        new RegExp(`no fleet-mcp server runs on the data dir ${dataDir}; start one with \`fleet-mcp serve\``),
      );
    }
    expect(existsSync(join(dataDir, 'fleet.sock'))).toBe(false);
  });

  it('a socket of another user is refused with its path and the fix, before anything is sent to it', async () => {
    const dataDir = join(createSandbox('/var/tmp/fleet-mcp-people-foreign-').root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const path = join(dataDir, 'fleet.sock');
    const heard: string[] = [];
    // Another user's listener that answers like a fleet: trusting it would hand it the person's requests.
    const impostor: Server = createServer((socket) => {
      socket.on('data', (chunk) => {
        heard.push(chunk.toString());
        socket.write(`${JSON.stringify({ fleet_mcp_attached: 1, version: '0' })}\n`);
      });
    });
    await new Promise<void>((resolve) => impostor.listen(path, resolve));
    try {
      chownSync(path, 12345, 12345);
      expectOneLine(
        await cli(['status'], dataDir),
        new RegExp(`${path} is not a socket owned by you or root .*; remove it: rm ${path}`),
      );
      expect(heard).toEqual([]);
    } finally {
      impostor.close();
    }
  });

  it.skipIf(probeBwrap(process.env.PATH).problem !== undefined && !process.env.CI)(
    'a command from another network namespace (a container with the data dir mounted) is refused in one line',
    async () => {
      // The whole host, writable, as a container that mounts it would see it; only the network is its own.
      const result = await new Promise<CliResult>((done) => {
        execFile(
          'bwrap',
          ['--bind', '/', '/', '--unshare-net', '--die-with-parent', '--', process.execPath, CLI, 'status'],
          {
            cwd: fleet.sandbox.cwd,
            env: { ...fleet.sandbox.env, FLEET_MCP_DATA_DIR: fleet.dataDir },
            timeout: 100_000,
          },
          (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      });
      expectOneLine(
        result,
        new RegExp(
          `the fleet on ${join(fleet.dataDir, 'fleet.sock')} refused this client: this fleet serves only clients in its own network namespace`,
        ),
      );
      expect(server.server.output()).toContain('refused a socket client from another network namespace');
    },
  );

  it('a data dir another user can write is refused with the fix', async () => {
    const dataDir = join(createSandbox('/var/tmp/fleet-mcp-people-shared-').root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, 12345, 12345);
    const result = await cli(['status'], dataDir);
    expectOneLine(result, new RegExp(dataDir));
  });
});
