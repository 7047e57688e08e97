import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { probeUserNet } from '../../src/fleet/backends/local/sandbox/user-net.js';
import { isRunning } from '../fleet/helpers.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';
import { toolsPath } from '../helpers/tools-path.js';
import { createFleetSandbox, startFleetServer, task, type FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';
import { createShellFleet, SHELL } from './shell-fleet.js';

// A first run as a new user meets it: agent CLIs installed where the sandbox can or cannot see them, none at all,
// a fleet of sh -c roles on a host without bwrap, a busy port, and Ctrl+C with agents at work. What the server warns
// of at start-up is its log's content, not the process's, so those servers run in this process; the busy port's exit
// and Ctrl+C are the real process's.

const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
// Skipped where bwrap or pasta cannot run, except in CI, which installs them and must prove what the sandbox sees.
const SANDBOX_PROBLEM = probeBwrap(process.env.PATH).problem ?? probeUserNet(process.env.PATH).problem;
const dirs: string[] = [];
const groups = new Set<number>();

afterAll(async () => {
  await stopInProcessServers();
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Ended with its server, as asked.
    }
  }
  killServers();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(prefix);
  dirs.push(dir);
  return dir;
}

/** A line of the server's JSON log. */
interface LogEntry {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The server's log lines at level warn (40) and above. */
function warnings(output: string): LogEntry[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry)
    .filter((entry) => entry.level >= 40);
}

/** A shell fleet (under /var/tmp) whose PATH has the fake claude where the sandbox sees it and the fake codex under /tmp. */
function fleetWithFakes(): { fleet: FleetSandbox; path: string; hiddenCodex: string } {
  const fleet = createShellFleet('fleet-mcp-first-run', { shell: { command: SHELL } });
  const hidden = tempDir('/tmp/fleet-mcp-first-run-');
  const bin = join(fleet.sandbox.root, 'bin');
  mkdirSync(bin);
  cpSync(FAKES, join(fleet.sandbox.root, 'fakes'), { recursive: true });
  cpSync(FAKES, join(hidden, 'fakes'), { recursive: true });
  symlinkSync(join(fleet.sandbox.root, 'fakes', 'claude.mjs'), join(bin, 'claude'));
  symlinkSync(join(hidden, 'fakes', 'codex.mjs'), join(hidden, 'codex'));
  return { fleet, path: `${bin}:${hidden}:${toolsPath(fleet.sandbox.root)}`, hiddenCodex: join(hidden, 'codex') };
}

describe.skipIf(SANDBOX_PROBLEM !== undefined && !process.env.CI)('a preset CLI the sandbox cannot see (bwrap)', () => {
  it('is named with why and the fix in one start-up line, and its task fails with that reason, not exit code 127', async () => {
    const { fleet, path, hiddenCodex } = fleetWithFakes();
    const server = await startInProcessFleetServer(fleet, { PATH: path });
    const said = warnings(server.server.output());
    expect(said.map((entry) => entry.msg)).toEqual([
      `role "codex" runs sandboxed, and its CLI ${hiddenCodex} is under /tmp, which the sandbox does not show: install it outside the paths the sandbox hides (/tmp, /dev, fleet-mcp's data and config dirs), or set "sandbox": false on role "codex" in the fleet config`,
    ]);

    // The control: the same fake, where the sandbox sees it, runs there and commits.
    await server.ok('create_agent', { name: 'seen', project: 'repo', role: 'claude', task: 'write notes.txt: hello' });
    const seen = await server.ok('wait_for_agent', { name: 'seen', timeout_seconds: 60 });
    expect(seen.agent.last_task).toMatchObject({ status: 'completed', exit_code: 0, files_changed: ['notes.txt'] });

    const error = await server.fails('create_agent', {
      name: 'unseen',
      project: 'repo',
      role: 'codex',
      task: 'write the file',
    });
    expect(error).toContain(
      `role "codex" runs sandboxed, and its CLI ${hiddenCodex} is under /tmp, which the sandbox does not show`,
    );
    const roles = await server.ok('list_agent_roles', { project: 'repo' });
    expect(roles.roles.find((role: { name: string }) => role.name === 'codex')).toMatchObject({
      usable: false,
      problem: expect.stringContaining('is under /tmp'),
    });
    expect(roles.roles.find((role: { name: string }) => role.name === 'claude')).toMatchObject({
      usable: true,
      problem: null,
    });
    const unseen = await server.ok('show_agent', { name: 'unseen' });
    expect(unseen.last_task).toMatchObject({ status: 'failed', exit_code: null, started_at: null });
    expect(unseen.last_task.reason).toContain('is under /tmp, which the sandbox does not show');
    expect(unseen.last_task.reason).not.toContain('exit code 127');
    await server.server.stop();
  });
});

describe('serve at a first start', () => {
  it('with no agent CLI on PATH warns once, saying how to install one; create_agent names the missing CLI', async () => {
    const fleet = createShellFleet('fleet-mcp-no-cli', {});
    const server = await startInProcessFleetServer(fleet, { PATH: toolsPath(fleet.sandbox.root) });
    const said = warnings(server.server.output());
    expect(said).toHaveLength(1);
    expect(said[0]!.msg).toBe(
      'no agent CLI was found on PATH, so agents have no role to run: install one of claude (npm install -g @anthropic-ai/claude-code), ' +
        'codex (npm install -g @openai/codex), gemini (npm install -g @google/gemini-cli), opencode (npm install -g opencode-ai) and restart, ' +
        'or add a role under "roles" in the fleet config',
    );
    const error = await server.fails('create_agent', { name: 'first', project: 'repo', role: 'claude', task: 'hello' });
    expect(error).toBe(
      'Role "claude" is a built-in preset, but its CLI "claude" is not installed on the server\'s PATH: install it (npm install -g @anthropic-ai/claude-code), then restart the server. Roles for project "repo": (none).',
    );
    await server.server.stop();
  });

  it('gives a fleet of sh -c roles on a host without bwrap no warning at all', async () => {
    const roles = {
      script: { command: SHELL },
      positional: { command: ['/bin/sh', '-c', 'echo "$1"', 'agent', '{task}'] },
      login: { command: ['bash', '-lc', 'echo "$1"', 'agent', '{task}'] },
    };
    const fleet = createShellFleet('fleet-mcp-sh-roles', roles);
    const server = await startInProcessFleetServer(fleet, { PATH: toolsPath(fleet.sandbox.root, { sandbox: false }) });
    expect(warnings(server.server.output())).toEqual([]);
    await server.server.stop();
  });

  it('on a busy port names it and how to choose another, in one line without a stack', async () => {
    const fleet = createFleetSandbox();
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await expectStartFailure(fleet.sandbox, {
        env: { FLEET_MCP_PORT: String(port), FLEET_MCP_CONFIG: fleet.configFile, FLEET_MCP_DATA_DIR: fleet.dataDir },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `fleet-mcp: port ${port} is in use (127.0.0.1:${port}), perhaps by another fleet-mcp serve: stop that, or choose another port with --port or FLEET_MCP_PORT (0 picks a free one)\n`,
      );
    } finally {
      busy.close();
    }
  });
});

describe('Ctrl+C on serve', () => {
  /** Starts two agents on a fleet of one busy slot: one runs, the other's task waits in the queue. */
  async function busyFleet(stopAgents: boolean) {
    const fleet = createFleetSandbox();
    const server = await startFleetServer(fleet, {
      FLEET_MCP_STOP_AGENTS_ON_EXIT: String(stopAgents),
      FLEET_MCP_MAX_BUSY: '1',
    });
    await server.ok('create_agent', {
      name: 'runner',
      project: 'repo',
      task: task({ printPid: true, sleepMs: 60_000 }),
    });
    await server.ok('create_agent', { name: 'waiter', project: 'repo', task: task({ lines: ['waited'] }) });
    await expect
      .poll(
        async () =>
          (await server.ok('show_agent_log', { name: 'runner' })).lines.map((line: { text: string }) => line.text),
        { timeout: 10_000 },
      )
      .toContain('ready');
    const log = await server.ok('show_agent_log', { name: 'runner' });
    const pid = Number(
      log.lines
        .map((line: { text: string }) => line.text)
        .find((text: string) => text.startsWith('PID '))!
        .slice(4),
    );
    groups.add(pid);
    return { server, pid };
  }

  it('says how many agents run on and how to see or stop them', async () => {
    const { server, pid } = await busyFleet(false);
    expect(await server.server.stop('SIGINT')).toBe(0);
    // The test role's own warning (its task may start with "-") aside.
    const said = warnings(server.server.output()).filter((entry) => entry.role === undefined);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ running_agents: 1, queued_tasks: 1 });
    expect(said[0]!.msg).toBe(
      '1 running agent and 1 queued task outlive the server (the next server on this data dir follows them): see them with `fleet-mcp status`, ' +
        'stop them with `fleet-mcp stop --all`, or start serve with --stop-agents-on-exit to stop them with it',
    );
    expect(isRunning(pid)).toBe(true);
  });

  it('with --stop-agents-on-exit stops them and says so', async () => {
    const { server, pid } = await busyFleet(true);
    expect(await server.server.stop('SIGINT')).toBe(0);
    expect(
      warnings(server.server.output())
        .filter((entry) => entry.role === undefined)
        .map((entry) => entry.msg),
    ).toEqual([
      'stopped 1 running agent and 1 queued task, as --stop-agents-on-exit (FLEET_MCP_STOP_AGENTS_ON_EXIT) asks',
    ]);
    expect(isRunning(pid)).toBe(false);
  });
});
