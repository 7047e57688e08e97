import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServing } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { errorReport } from '../../src/error-report.js';
import type { Sandbox } from './sandbox.js';
import { captureLog } from './secrets.js';

/** The server running inside the test's own process, on a real loopback listener. */
export interface InProcessServer {
  port: number;
  baseUrl: string;
  mcpUrl: string;
  /** The JSON log lines written so far. */
  output: () => string;
  /** The log line that says where the server listens, as the CLI prints it. */
  ready: Record<string, unknown>;
  stop: () => Promise<void>;
}

export interface InProcessServerOptions {
  /** FLEET_MCP_* settings, over the sandbox's environment, as the CLI would read them. */
  env?: NodeJS.ProcessEnv;
}

const running = new Set<InProcessServer>();

/**
 * Runs what `serve` runs, in this process, on a free loopback port: for tests of the MCP layer, where the process
 * boundary is not the subject. Agents and their supervisors are still real processes.
 */
export async function startInProcessServer(
  sandbox: Sandbox,
  options: InProcessServerOptions = {},
): Promise<InProcessServer> {
  // The data dir the CLI would take in the sandbox's home: this process's own home is the user's.
  const dataDir = join(sandbox.env.XDG_DATA_HOME!, 'fleet-mcp');
  const env = { ...sandbox.env, FLEET_MCP_PORT: '0', FLEET_MCP_DATA_DIR: dataDir, ...options.env };
  const config = loadConfig({ env, cwd: sandbox.cwd, configDir: sandbox.configDir });
  let log = '';
  const logger = createLogger({ level: config.logLevel, stream: { write: (line: string) => (log += line) } });
  const output = (): string => log;
  captureLog('in-process server', output);
  const serving = await startServing({ config, logger, env, reloaders: [] });
  const port = serving.port;
  let stopped: Promise<void> | undefined;
  const server: InProcessServer = {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    mcpUrl: `http://127.0.0.1:${port}/mcp`,
    output,
    ready: JSON.parse(log.split('\n').find((line) => line.includes('"fleet-mcp listening"'))!),
    stop: () => {
      running.delete(server);
      stopped ??= serving.stop();
      return stopped;
    },
  };
  running.add(server);
  return server;
}

/** For afterAll: stops every server this file started and left running, and their agents with them. */
export async function stopInProcessServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/**
 * Starts the server in this process expecting it to refuse at start-up, and returns what the CLI writes to stderr for
 * that refusal before it exits 1. For refusals of a setting, where the real process's exit is not the subject.
 */
export async function inProcessRefusal(sandbox: Sandbox, options: InProcessServerOptions = {}): Promise<string> {
  let server: InProcessServer;
  try {
    server = await startInProcessServer(sandbox, options);
  } catch (error) {
    return errorReport(error);
  }
  await server.stop();
  throw new Error('the server started where it should have refused to');
}
