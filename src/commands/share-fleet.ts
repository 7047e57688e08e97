import { fleetSocketPath } from '../attach/attach-protocol.js';
import { listenFleetSocket, type FleetSocket } from '../attach/socket-server.js';
import { STDIO_IDENTITY } from '../auth/identity.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ResourceSubscriptions } from '../mcp/resource-subscriptions.js';
import { forwardEvents } from '../mcp/modern/forward-events.js';
import { createModernMcpServer } from '../mcp/modern/modern-server.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import type { FleetConfigWatcher } from './fleet-config-reload.js';

export interface ShareFleetOptions {
  config: Config;
  deps: McpServerDeps;
  /** Makes each client's folder a project when the config names none (the background fleet of stdio clients). */
  watcher?: FleetConfigWatcher;
  subscriptions: ResourceSubscriptions;
  logger: Logger;
}

/**
 * Offers the fleet to `fleet-mcp stdio` clients on the data dir's socket. Only the data dir's owner can reach it, from
 * this network namespace (no agent sandbox), so a client gets what stdio always gave: every tool, as the user who
 * started it. Null (with a warning) when the data dir's path is too long for a socket.
 */
export async function shareFleet(options: ShareFleetOptions): Promise<FleetSocket | null> {
  const { config, deps, watcher, subscriptions, logger } = options;
  const target = fleetSocketPath(config.dataDir);
  if ('problem' in target) {
    logger.warn({ reason: target.problem }, 'stdio clients cannot share this fleet');
    return null;
  }
  return listenFleetSocket({
    path: target.path,
    createServer: () => {
      const server = createMcpServer(deps, STDIO_IDENTITY);
      subscriptions.attach(server);
      return server;
    },
    createModernServer: () => {
      const server = createModernMcpServer(deps, STDIO_IDENTITY);
      forwardEvents(deps.events, server);
      return server;
    },
    onHello: (hello) => watcher?.addClientDir(hello.cwd),
    logger: logger.child({ component: 'socket' }),
  });
}
