import { constants, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fleetSocketPath } from '../attach/attach-protocol.js';
import { ConfigError, loadConfig } from '../config.js';
import type { Fleet } from '../fleet/fleet.js';
import { assertTrustedDirectory } from '../fs/ownership.js';
import { createLogger } from '../log.js';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import { RESOURCE_UPDATE_DEBOUNCE_MS, ResourceSubscriptions } from '../mcp/resource-subscriptions.js';
import { TaskRegistry } from '../mcp/task-registry.js';
import { VERSION } from '../version.js';
import { readFleetConfig } from '../fleet/fleet-config.js';
import { watchFleetConfig } from './fleet-config-reload.js';
import { DataDirInUseError, openFleet } from './open-fleet.js';
import { HOST_DATA_DIR_IN_USE, HOST_IDLE_CHECK_MS, HOST_IDLE_EXIT_MS } from './host-command.js';
import { closeInheritedFds } from './inherited-fds.js';
import { useSpawnHelper } from '../fleet/spawn/start-process.js';
import { shareFleet } from './share-fleet.js';
import type { StdioFlags } from './stdio.js';

// The log is started afresh past this size, the previous one kept as host.log.1.
const MAX_LOG_BYTES = 10 * 1024 * 1024;

/**
 * The fleet of `fleet-mcp stdio` clients when no `serve` runs on their data dir: started in the background by the
 * first client, in its folder and environment, and shared over the data dir's socket. It ends once it has had no
 * client and no running or queued task for a few seconds, or when `serve` takes the data dir over; its agents run
 * on either way. Its errors before it listens go to stderr, where the client starting it reads them; after that it
 * logs to host.log in the data dir.
 */
export async function fleetHostCommand(flags: StdioFlags): Promise<void> {
  // Before anything is started: an fd the client or its parent left open would reach every agent.
  closeInheritedFds();
  // Git and task supervisors start through a helper: this CLI, run again with its own command.
  useSpawnHelper();
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  // Before the fleet opens (the lock, recovery, queued tasks): a host no client can reach has no reason to start.
  // A client checks the same before it starts a host, so this only happens to a host started by hand.
  const socketPath = fleetSocketPath(config.dataDir);
  if ('problem' in socketPath) throw new ConfigError(socketPath.problem);
  // The client stops reading once attached; what Node might still print must not end the host.
  process.stderr.on('error', () => {});
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  assertTrustedDirectory(config.dataDir, 'data dir');
  const logger = createLogger({ level: config.logLevel, fd: openLog(join(config.dataDir, 'host.log')) });
  // A stop asked for while the fleet opens (serve taking over at once) is carried out once it is open.
  let stopRequested: string | null = null;
  let stop = (reason: string): void => {
    stopRequested = reason;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  let fleet: Fleet;
  try {
    fleet = await openFleet(config, readFleetConfig(config), logger, 'host');
  } catch (error) {
    // Another server has the data dir: this host steps aside, and its clients attach to that server (or say why not).
    if (error instanceof DataDirInUseError) {
      process.stderr.write(`fleet-mcp: ${error.message}\n`);
      process.exit(HOST_DATA_DIR_IN_USE);
    }
    throw error;
  }
  const watcher = watchFleetConfig({ config, fleet, logger });
  const deps = { fleet, tasks: new TaskRegistry(), events: new InMemoryServerEventBus(), logger };
  const subscriptions = new ResourceSubscriptions({
    fleet,
    logger,
    debounceMs: RESOURCE_UPDATE_DEBOUNCE_MS,
    bus: deps.events,
  });
  let idleSince = Date.now();
  // Not null: the socket's path was checked above.
  const socket = (await shareFleet({ config, deps, watcher, subscriptions, logger }))!;

  let stopping = false;
  stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(idleCheck);
    logger.info({ reason }, 'shutting down');
    watcher.close();
    subscriptions.close();
    // The socket closes before the fleet lets go of the data dir, so it never removes a successor's socket.
    const closed = socket.close().then(() => fleet.shutdown());
    closed.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const idleCheck = setInterval(() => {
    if (socket.clients > 0 || fleet.isWorking()) idleSince = Date.now();
    // Counted from the moment the last client left, not from the last check that still saw it.
    else if (Date.now() - Math.max(idleSince, socket.lastLeftAt) >= HOST_IDLE_EXIT_MS) stop('no clients and no tasks');
  }, HOST_IDLE_CHECK_MS);
  process.on('SIGHUP', () => watcher.reload(true));
  if (stopRequested) stop(stopRequested);
  logger.info(
    { version: VERSION, pid: process.pid, data_dir: config.dataDir, projects: fleet.listProjects().length },
    'fleet-mcp host serving stdio clients',
  );
}

function openLog(file: string): number {
  try {
    if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
}
