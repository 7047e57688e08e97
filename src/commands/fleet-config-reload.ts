import type { TokenWatcher } from '../auth/token-watcher.js';
import type { Config } from '../config.js';
import type { Fleet } from '../fleet/fleet.js';
import { loadFleetConfig } from '../fleet/fleet-config.js';
import { resolveRoles } from '../fleet/roles.js';
import { watchFile } from '../fs/file-watcher.js';
import type { Logger } from '../log.js';

/**
 * Keeps the fleet's projects and roles in step with the fleet config file (watched, and re-read on SIGHUP), so
 * adding a role or project needs no restart. Running tasks are never touched: each keeps the role it started with.
 * A file that turns bad keeps the last good config and logs one line per distinct problem, naming the file.
 */
export function watchFleetConfig(options: { config: Config; fleet: Fleet; logger: Logger }): TokenWatcher {
  const { config, fleet, logger } = options;
  const file = config.fleetConfigFile;
  let lastProblem: string | undefined;
  const watcher = watchFile({
    file,
    pollMs: 1000,
    onChange: () => {
      try {
        const loaded = loadFleetConfig({ file, required: config.fleetConfigRequired, cwd: config.cwd });
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
    },
  });
  return { reload: watcher.check, close: watcher.close };
}
