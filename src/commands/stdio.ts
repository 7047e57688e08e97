import { ATTACH_PROTOCOL, fleetSocketPath } from '../attach/attach-protocol.js';
import { FleetLink } from '../attach/fleet-link.js';
import { MessageLines } from '../attach/message-lines.js';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';
import { startHost } from './start-host.js';

export type StdioFlags = Pick<ConfigFlags, 'config' | 'dataDir' | 'maxBusy' | 'logLevel'>;

/**
 * MCP over stdin/stdout for clients that launch the server as a command. There is no HTTP and no token: only the
 * local user who launched the process can talk to it. Any number of these share the one fleet of their data dir:
 * each attaches to the `serve` running there, or to a background fleet that the first of them starts. stdout carries
 * the protocol, so logs go to stderr.
 */
export async function stdioCommand(flags: StdioFlags): Promise<void> {
  const config = readConfig(flags);
  const logger = createLogger({ level: 'problem' in config ? 'info' : config.logLevel, fd: 2 });
  if ('problem' in config)
    logger.error({ reason: config.problem }, 'cannot serve: every request is answered with the reason');
  const link = new FleetLink({
    socket: 'problem' in config ? config : fleetSocketPath(config.dataDir),
    hello: { fleet_mcp_attach: ATTACH_PROTOCOL, cwd: process.cwd(), version: VERSION },
    startFleet: () => startHost(flags),
    toClient: (line) => process.stdout.write(`${line}\n`),
    logger,
  });

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    link.close();
    process.exit(0);
  };
  const lines = new MessageLines();
  process.stdin.on('data', (chunk: Buffer) => {
    try {
      for (const line of lines.push(chunk)) link.fromClient(line);
    } catch (error) {
      logger.error({ reason: (error as Error).message }, 'unreadable client message');
      stop('unreadable client message');
    }
  });
  // The client ends the session by closing our stdin (or by a signal), as the MCP stdio transport specifies. What it
  // asked before closing is still answered: a client may write its requests and close at once, as a pipe does.
  process.stdin.once('end', () => {
    for (const line of lines.end()) link.fromClient(line);
    void link.finish().then(() => stop('stdin closed'));
  });
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  link.start();
  logger.info(
    { transport: 'stdio', version: VERSION, data_dir: 'problem' in config ? null : config.dataDir },
    'fleet-mcp serving on stdio',
  );
}

/** A bad setting is the MCP client's to hear, as the answer to its requests: it seldom shows a server's stderr. */
function readConfig(flags: StdioFlags): Config | { problem: string } {
  try {
    return loadConfig({ env: process.env, cwd: process.cwd(), flags });
  } catch (error) {
    if (error instanceof ConfigError) return { problem: error.message };
    throw error;
  }
}
