import type { TokenWatcher } from '../auth/token-watcher.js';
import type { Config } from '../config.js';
import type { Fleet } from '../fleet/fleet.js';
import { loadFleetConfig, type FleetConfig } from '../fleet/fleet-config.js';
import { resolveRoles } from '../fleet/roles.js';
import { watchFile } from '../fs/file-watcher.js';
import type { Logger } from '../log.js';

export interface FleetConfigWatcher extends TokenWatcher {
  /** Adds the folder a client of the fleet was started in: a project when the config names none. */
  addClientDir(dir: string): void;
}

/** The fleet config as read for this server: its file, and the folders its clients were started in (its own first). */
export function readFleetConfig(config: Config, dirs: readonly string[] = [config.cwd]): FleetConfig {
  return loadFleetConfig({ file: config.fleetConfigFile, required: config.fleetConfigRequired, dirs });
}

/**
 * Keeps the fleet's projects and roles in step with the fleet config file (watched, and re-read on SIGHUP), so
 * adding a role or project needs no restart. Running tasks are never touched: each keeps the role it started with.
 * A file that turns bad keeps the last good config and logs one line per distinct problem, naming the file.
 */
export function watchFleetConfig(options: { config: Config; fleet: Fleet; logger: Logger }): FleetConfigWatcher {
  const { config, fleet, logger } = options;
  const file = config.fleetConfigFile;
  const dirs = [config.cwd];
  let lastProblem: string | undefined;
  const apply = (): void => {
    try {
      const loaded = readFleetConfig(config, dirs);
      fleet.reloadConfig(loaded.projects, resolveRoles(loaded.roles, { pathEnv: process.env.PATH }));
      lastProblem = undefined;
      logger.info({ file, projects: loaded.projects.length }, 'fleet config reloaded');
    } catch (error) {
      // One edit can reach the disk as several writes (truncate, then content); each is seen, one is reported.
      const problem = (error as Error).message;
      if (problem === lastProblem) return;
      lastProblem = problem;
      logger.error({ file, reason: problem }, 'fleet config unusable; keeping the last good one');
    }
  };
  const watcher = watchFile({ file, pollMs: 1000, onChange: apply });
  return {
    reload: watcher.check,
    close: watcher.close,
    addClientDir: (dir) => {
      if (dirs.includes(dir)) return;
      dirs.push(dir);
      apply();
    },
  };
}
