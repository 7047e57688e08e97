import { ConfigError, type Config } from '../config.js';
import { FleetError } from '../fleet/errors.js';
import { createFleet, type Fleet } from '../fleet/fleet.js';
import type { FleetConfig } from '../fleet/fleet-config.js';
import { resolveRoles } from '../fleet/roles.js';
import type { Logger } from '../log.js';

/** Opens the fleet on the data dir; what stops it (a role limited to an unknown project, a data dir in use) is a start-up error. */
export async function openFleet(config: Config, fleetConfig: FleetConfig, logger: Logger): Promise<Fleet> {
  try {
    return await createFleet({
      dataDir: config.dataDir,
      projects: fleetConfig.projects,
      roles: resolveRoles(fleetConfig.roles, { pathEnv: process.env.PATH }),
      maxBusy: config.maxBusy,
      stopAgentsOnShutdown: config.stopAgentsOnExit,
      maxAgents: config.maxAgents,
      baseEnv: process.env,
      logger: logger.child({ component: 'fleet' }),
    });
  } catch (error) {
    if (error instanceof FleetError && error.code === 'invalid_argument') {
      throw new ConfigError(`fleet config ${config.fleetConfigFile}: ${error.message}`);
    }
    if (error instanceof FleetError) throw new ConfigError(error.message);
    throw error;
  }
}

