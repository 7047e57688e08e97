import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';
import type { Sandbox } from './sandbox.js';
import { exitAfterOutput } from './process-exit.js';
import { captureLog } from './secrets.js';

export interface StartedServer {
  process: ChildProcess;
  port: number;
  baseUrl: string;
  mcpUrl: string;
  /** The first log line, the one that says where the server listens. */
  ready: Record<string, unknown>;
  output: () => string;
  /** Resolves with the exit code once the process has ended and its output has been read. */
  exited: Promise<number | null>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface StartServerOptions {
  env?: NodeJS.ProcessEnv;
  args?: string[];
  /** The command that runs the CLI; by default the built bundle under this Node. */
  launcher?: readonly string[];
  /** What the server inherits at fd 3, 4, …, as a parent may leave open. */
  extraFds?: (number | 'pipe' | 'ignore')[];
}

const DEFAULT_LAUNCHER = [process.execPath, CLI] as const;

const running = new Set<ChildProcess>();

/** Starts the real CLI as a separate process on a free loopback port and waits until it listens. */
export function startServer(sandbox: Sandbox, options: StartServerOptions = {}): Promise<StartedServer> {
  const [command, ...launcherArgs] = options.launcher ?? DEFAULT_LAUNCHER;
  const child = spawn(command!, [...launcherArgs, 'serve', '--port', '0', ...(options.args ?? [])], {
    cwd: sandbox.cwd,
    env: { ...sandbox.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.extraFds ?? [])],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const output = (): string => stdout + stderr;
  captureLog(`server ${child.pid}`, output);
  const exited = exitAfterOutput(child);
  void exited.then(() => running.delete(child));
  // Piped: the first two entries of stdio above.
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((text) => text.includes('"fleet-mcp listening"'));
      if (!line) return;
      const ready = JSON.parse(line) as Record<string, unknown>;
      const port = Number(ready.port);
      resolve({
        process: child,
        port,
        baseUrl: `http://127.0.0.1:${port}`,
        mcpUrl: `http://127.0.0.1:${port}/mcp`,
        ready,
        output,
        exited,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${output()}`)));
  });
}

function definedOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/**
 * Runs the CLI's `serve` expecting it to fail at start-up, and returns its exit code and output. The port comes
 * from the environment here (0 unless the test sets FLEET_MCP_PORT, or unsets it to let `.env` decide).
 */
export async function expectStartFailure(
  sandbox: Sandbox,
  options: StartServerOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...launcherArgs] = options.launcher ?? DEFAULT_LAUNCHER;
  const child = spawn(command!, [...launcherArgs, 'serve', ...(options.args ?? [])], {
    cwd: sandbox.cwd,
    env: definedOnly({ ...sandbox.env, FLEET_MCP_PORT: '0', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('"fleet-mcp listening"')) child.kill('SIGKILL');
  });
  captureLog(`failed server ${child.pid}`, () => stdout + stderr);
  const code = await exitAfterOutput(child);
  running.delete(child);
  return { code, stdout, stderr };
}

export function killServers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
