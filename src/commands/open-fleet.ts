import { ConfigError, type Config } from '../config.js';
import type { LockKind } from '../fleet/data-dir-lock.js';
import { FleetError } from '../fleet/errors.js';
import { createFleet, type Fleet } from '../fleet/fleet.js';
import type { FleetConfig } from '../fleet/fleet-config.js';
import type { EngineSettings } from '../fleet/backends/remote/engine-launch.js';
import { NO_PROJECTS_HINT } from '../fleet/projects.js';
import { resolveRoles } from '../fleet/roles.js';
import type { Logger } from '../log.js';
import { resolveNotifySettings } from '../notify/notify-config.js';
import { startNotifier } from '../notify/notifier.js';
import { sandboxSettings } from './sandbox-settings.js';
import { warnAtStart } from './start-warnings.js';

/** Another server holds the data dir. */
export class DataDirInUseError extends ConfigError {
  override name = 'DataDirInUseError';
}

/**
 * Opens the fleet on the data dir; what stops it (a role limited to an unknown project, a data dir in use) is a
 * start-up error. `serve` takes the data dir over from a background host of stdio clients; a host never stops agents
 * when it goes, as it goes when its clients have (or when `serve` takes over).
 */
export async function openFleet(
  config: Config,
  fleetConfig: FleetConfig,
  logger: Logger,
  kind: LockKind = 'serve',
  engines?: EngineSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Fleet> {
  if (fleetConfig.projects.length === 0)
    logger.warn({ config: config.fleetConfigFile, cwd: config.cwd }, NO_PROJECTS_HINT);
  const roles = resolveRoles(fleetConfig.roles, { pathEnv: env.PATH });
  const notify = resolveNotifySettings(fleetConfig.notify, env);
  const sandbox = sandboxSettings(config, notify.hidden);
  let fleet: Fleet;
  try {
    fleet = await createFleet({
      dataDir: config.dataDir,
      projects: fleetConfig.projects,
      roles,
      maxBusy: config.maxBusy,
      stopAgentsOnShutdown: kind === 'serve' && config.stopAgentsOnExit,
      kind,
      maxAgents: config.maxAgents,
      baseEnv: env,
      logger: logger.child({ component: 'fleet' }),
      sandbox,
      engines,
    });
  } catch (error) {
    if (error instanceof FleetError && error.code === 'invalid_argument') {
      throw new ConfigError(`fleet config ${config.fleetConfigFile}: ${error.message}`);
    }
    if (error instanceof FleetError && error.code === 'conflict') throw new DataDirInUseError(error.message);
    if (error instanceof FleetError) throw new ConfigError(error.message);
    throw error;
  }
  warnAtStart(logger, {
    fleet,
    roles,
    projects: fleetConfig.projects,
    bwrap: sandbox.bwrap,
    userNet: sandbox.userNet,
    fleetConfigFile: config.fleetConfigFile,
  });
  startNotifier({ fleet, settings: notify, logger: logger.child({ component: 'notify' }), baseEnv: env });
  return fleet;
}
