import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { STDIO_IDENTITY } from '../auth/identity.js';
import { loadConfig, type ConfigFlags } from '../config.js';
import { loadFleetConfig } from '../fleet/fleet-config.js';
import { createLogger } from '../log.js';
import { RESOURCE_UPDATE_DEBOUNCE_MS, ResourceSubscriptions } from '../mcp/resource-subscriptions.js';
import { createMcpServer } from '../mcp/server.js';
import { TaskRegistry } from '../mcp/task-registry.js';
import { VERSION } from '../version.js';
import { watchFleetConfig } from './fleet-config-reload.js';
import { openFleet } from './open-fleet.js';

export type StdioFlags = Pick<ConfigFlags, 'config' | 'dataDir' | 'maxBusy' | 'stopAgentsOnExit' | 'logLevel'>;

/**
 * The same MCP server over stdin/stdout for clients that launch it as a command. There is no HTTP and no token:
 * only the local user who launched the process can talk to it. stdout carries the protocol, so logs go to stderr.
 */
export async function stdioCommand(flags: StdioFlags): Promise<void> {
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  const logger = createLogger({ level: config.logLevel, fd: 2 });
  const fleetConfig = loadFleetConfig({ file: config.fleetConfigFile, required: config.fleetConfigRequired, cwd: config.cwd });
  const fleet = await openFleet(config, fleetConfig, logger);
  const configWatcher = watchFleetConfig({ config, fleet, logger });
  const deps = {
    get projects() {
      return fleet.listProjects();
    },
    fleet,
    tasks: new TaskRegistry(),
  };
  const server = createMcpServer(deps, STDIO_IDENTITY);
  // A stdio connection is one long session: its client may subscribe to agent resources too.
  const subscriptions = new ResourceSubscriptions({ fleet, logger, debounceMs: RESOURCE_UPDATE_DEBOUNCE_MS });
  subscriptions.attach(server);

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    subscriptions.close();
    configWatcher.close();
    void Promise.all([server.close(), fleet.shutdown()]).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // The client ends the session by closing our stdin (or by a signal), as the MCP stdio transport specifies.
  process.stdin.once('end', () => stop('stdin closed'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  await server.connect(new StdioServerTransport());
  logger.info({ transport: 'stdio', version: VERSION, projects: fleetConfig.projects.length }, 'fleet-mcp serving on stdio');
}
