import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, isAlive } from '../fleet/helpers.js';
import { CLI } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';

afterAll(() => cleanupSandboxes());

interface TerminalServer {
  /** `script`, which owns the pseudo-terminal; killing it closes the terminal. */
  terminal: ChildProcess;
  /** The server itself, from its data-dir lock. */
  pid: number;
  /** Everything the server logged so far: what the terminal showed, or `nohup.out`. */
  output: () => string;
  /** Resolves when `script` has exited. */
  closed: Promise<void>;
}

function lockFile(sandbox: Sandbox): string {
  return join(sandbox.env.XDG_DATA_HOME!, 'fleet-mcp', 'server.lock');
}

interface TerminalOptions {
  /**
   * Keeps the shell `script` runs the command with alive between `script` and the server, as a login shell is;
   * otherwise the shell execs the server. Left to the shell, which of the two happens depends on the shell.
   */
  shellStaysBetween?: boolean;
  /** Runs the server under `nohup`, which leaves it none of the terminal's files and its log in `nohup.out`. */
  nohup?: boolean;
}

/** Runs `serve` under `script`, which gives it a pseudo-terminal as stdin, stdout and stderr, until it listens. */
async function serveOnTerminal(sandbox: Sandbox, options: TerminalOptions = {}): Promise<TerminalServer> {
  const serve = `${options.nohup ? 'nohup ' : ''}${process.execPath} ${CLI} serve --port 0`;
  const command = options.shellStaysBetween ? `${serve}; echo "serve ended"` : `exec ${serve}`;
  const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: sandbox.cwd,
    env: { ...sandbox.env, SHELL: '/bin/sh', FLEET_MCP_AUTH_ENABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let shown = '';
  terminal.stdout!.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  const nohupOut = join(sandbox.cwd, 'nohup.out');
  const output = (): string => {
    if (!options.nohup) return shown;
    return existsSync(nohupOut) ? readFileSync(nohupOut, 'utf8') : '';
  };
  const closed = new Promise<void>((resolve) => terminal.once('exit', () => resolve()));
  let exited = false;
  void closed.then(() => (exited = true));
  await eventually(() => (output().includes('fleet-mcp listening') || exited ? true : undefined));
  if (!output().includes('fleet-mcp listening')) throw new Error(`exited before listening:\n${output()}`);
  const pid = (JSON.parse(readFileSync(lockFile(sandbox), 'utf8')) as { pid: number }).pid;
  return { terminal, pid, output, closed };
}

/** Stops the server as a user at the terminal would, and waits until the server process itself has gone. */
async function stopOnTerminal(server: TerminalServer, signal: NodeJS.Signals): Promise<void> {
  server.terminal.kill(signal);
  await server.closed;
  await eventually(() => (isAlive(server.pid) ? undefined : true));
}

/** Asks the server for /health: an answer after the reload proves it kept serving, which a pause would only suggest. */
async function expectServing(server: TerminalServer): Promise<void> {
  const baseUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(server.output())![0];
  expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
}

describe('on an interactive terminal', () => {
  it('shows a newly generated token once, and never again on later starts', async () => {
    const sandbox = createSandbox();
    const first = await serveOnTerminal(sandbox);
    await stopOnTerminal(first, 'SIGTERM');
    const token = JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value as string;
    expect(first.output().split(token).length - 1).toBe(1);
    expect(first.output()).toContain('fleet-mcp token show');
    const second = await serveOnTerminal(sandbox);
    await stopOnTerminal(second, 'SIGTERM');
    expect(second.output()).not.toContain(token);
  });

  it('stops, releasing its data dir, when its terminal closes', async () => {
    const sandbox = createSandbox();
    const server = await serveOnTerminal(sandbox);
    // SIGKILL gives `script` no chance to pass a signal on: the server only sees the terminal hang up.
    await stopOnTerminal(server, 'SIGKILL');
    expect(existsSync(lockFile(sandbox))).toBe(false);
  });

  it('stops, releasing its data dir, when the shell that owns its terminal exits', async () => {
    const sandbox = createSandbox();
    const server = await serveOnTerminal(sandbox, { shellStaysBetween: true });
    // `script` passes SIGTERM to the shell only. Its exit leaves the terminal open but takes it from the session.
    await stopOnTerminal(server, 'SIGTERM');
    expect(existsSync(lockFile(sandbox))).toBe(false);
  });

  it('lives on, taking the hang-up for a reload, when run under nohup', async () => {
    const sandbox = createSandbox();
    const server = await serveOnTerminal(sandbox, { shellStaysBetween: true, nohup: true });
    try {
      server.terminal.kill('SIGKILL');
      await server.closed;
      await eventually(() => (server.output().includes('SIGHUP: reloading the token file') ? true : undefined));
      await expectServing(server);
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      // Nothing else would ever stop a server that outlives its terminal, not even the end of the test run.
      if (isAlive(server.pid)) process.kill(server.pid, 'SIGTERM');
    }
    await eventually(() => (isAlive(server.pid) ? undefined : true));
    expect(existsSync(lockFile(sandbox))).toBe(false);
  });

  it('reloads, and keeps serving, on a SIGHUP while its terminal is open', async () => {
    const sandbox = createSandbox();
    const server = await serveOnTerminal(sandbox);
    process.kill(server.pid, 'SIGHUP');
    await eventually(() => (server.output().includes('SIGHUP: reloading the token file') ? true : undefined));
    await expectServing(server);
    expect(isAlive(server.pid)).toBe(true);
    expect(server.output()).not.toContain('shutting down');
    await stopOnTerminal(server, 'SIGTERM');
  });
});
