import { resolve } from 'node:path';
import type { TokenWatcher } from '../auth/token-watcher.js';
import type { Config } from '../config.js';
import type { Fleet } from '../fleet/fleet.js';
import { readFleetConfig } from '../fleet/fleet-config.js';
import { resolveRoles } from '../fleet/roles.js';
import { watchFile } from '../fs/file-watcher.js';
import type { Logger } from '../log.js';
import { sandboxReachProblem, servedAt } from './sandbox-reach-guard.js';

// The folders of clients a fleet keeps for its life; past this, more clients share the projects already there.
const MAX_CLIENT_DIRS = 100;

export interface FleetConfigWatcher extends TokenWatcher {
  /** Adds the folder a client of the fleet was started in: a project when the config names none. */
  addClientDir(dir: string): void;
}

/**
 * Keeps the fleet's projects and roles in step with the fleet config file (watched, and re-read on SIGHUP), so
 * adding a role or project needs no restart. Running tasks are never touched: each keeps the role it started with.
 * A file that turns bad keeps the last good config and logs one line per distinct problem, naming the file; so does
 * one whose roles would let agents reach the HTTP server's own port without auth, when `servesHttp` (own-port-guard.ts).
 */
export function watchFleetConfig(options: {
  config: Config;
  fleet: Fleet;
  logger: Logger;
  servesHttp?: boolean;
}): FleetConfigWatcher {
  const { config, fleet, logger } = options;
  const file = config.fleetConfigFile;
  const dirs = [config.cwd];
  let lastProblem: string | undefined;
  // The notices' settings hold a secret and are read once, at start (open-fleet.ts); a change is said, not applied.
  const notifyAtStart = notifyText(config, dirs);
  // So are the backends: the engines, the git endpoint and the credentials' key are set up once.
  const backendsAtStart = backendsText(config, dirs);
  const apply = (why: string): void => {
    try {
      const loaded = readFleetConfig(config, dirs);
      const roles = resolveRoles(loaded.roles, { pathEnv: process.env.PATH });
      const reach = options.servesHttp
        ? sandboxReachProblem(servedAt(config), { roles, projects: loaded.projects })
        : null;
      if (reach) throw new Error(reach);
      fleet.reloadConfig(loaded.projects, roles);
      lastProblem = undefined;
      logger.info({ file, projects: loaded.projects.length }, why);
      if (JSON.stringify(loaded.notify) !== notifyAtStart)
        logger.warn({ file }, 'the notify settings changed; they apply when the server restarts');
      if (JSON.stringify(loaded.backends) !== backendsAtStart)
        logger.warn(
          { file },
          'the backends changed; running agents keep the ones the server started with, and a backend added or changed applies when the server restarts',
        );
    } catch (error) {
      // One edit can reach the disk as several writes (truncate, then content); each is seen, one is reported.
      const problem = (error as Error).message;
      if (problem === lastProblem) return;
      lastProblem = problem;
      logger.error({ file, reason: problem }, 'fleet config unusable; keeping the last good one');
    }
  };
  const watcher = watchFile({ file, pollMs: 1000, onChange: () => apply('fleet config reloaded') });
  return {
    reload: watcher.check,
    close: watcher.close,
    addClientDir: (dir) => {
      const folder = resolve(dir);
      if (dirs.includes(folder) || dirs.length >= MAX_CLIENT_DIRS) return;
      dirs.push(folder);
      apply('a client folder joined the fleet');
    },
  };
}

function notifyText(config: Config, dirs: readonly string[]): string | undefined {
  try {
    return JSON.stringify(readFleetConfig(config, dirs).notify);
  } catch {
    return undefined;
  }
}

function backendsText(config: Config, dirs: readonly string[]): string | undefined {
  try {
    return JSON.stringify(readFleetConfig(config, dirs).backends);
  } catch {
    return undefined;
  }
}
