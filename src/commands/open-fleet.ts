import { dirname } from 'node:path';
import { ConfigError, type Config } from '../config.js';
import type { LockKind } from '../fleet/data-dir-lock.js';
import { FleetError } from '../fleet/errors.js';
import { createFleet, type Fleet } from '../fleet/fleet.js';
import type { FleetConfig } from '../fleet/fleet-config.js';
import { probeBwrap, type BwrapStatus } from '../fleet/launch/bwrap.js';
import type { SandboxSettings } from '../fleet/launch/fleet-launcher.js';
import { loopbackResolvers, probeUserNet, type UserNetStatus } from '../fleet/launch/user-net.js';
import { NO_PROJECTS_HINT } from '../fleet/projects.js';
import { resolveRoles } from '../fleet/roles.js';
import type { Logger } from '../log.js';
import { resolveNotifySettings } from '../notify/notify-config.js';
import { startNotifier } from '../notify/notifier.js';

/** Another server holds the data dir. */
export class DataDirInUseError extends ConfigError {
  override name = 'DataDirInUseError';
}

/**
 * Opens the fleet on the data dir; what stops it (a role limited to an unknown project, a data dir in use) is a
 * start-up error. `serve` takes the data dir over from a background host of stdio clients; a host never stops agents
 * when it goes, as it goes when its clients have (or when `serve` takes over).
 */
export async function openFleet(config: Config, fleetConfig: FleetConfig, logger: Logger, kind: LockKind = 'serve'): Promise<Fleet> {
  if (fleetConfig.projects.length === 0) logger.warn({ config: config.fleetConfigFile, cwd: config.cwd }, NO_PROJECTS_HINT);
  const notify = resolveNotifySettings(fleetConfig.notify, process.env);
  let fleet: Fleet;
  try {
    fleet = await createFleet({
      dataDir: config.dataDir,
      projects: fleetConfig.projects,
      roles: resolveRoles(fleetConfig.roles, { pathEnv: process.env.PATH }),
      maxBusy: config.maxBusy,
      stopAgentsOnShutdown: kind === 'serve' && config.stopAgentsOnExit,
      kind,
      maxAgents: config.maxAgents,
      baseEnv: process.env,
      logger: logger.child({ component: 'fleet' }),
      sandbox: sandboxSettings(config, logger, notify.hidden),
    });
  } catch (error) {
    if (error instanceof FleetError && error.code === 'invalid_argument') {
      throw new ConfigError(`fleet config ${config.fleetConfigFile}: ${error.message}`);
    }
    if (error instanceof FleetError && error.code === 'conflict') throw new DataDirInUseError(error.message);
    if (error instanceof FleetError) throw new ConfigError(error.message);
    throw error;
  }
  startNotifier({ fleet, settings: notify, logger: logger.child({ component: 'notify' }), baseEnv: process.env });
  return fleet;
}

/**
 * The built-in presets turn their CLI's own prompts off, so where bwrap works, and pasta gives their sandbox the
 * network they need, they run sandboxed unless a role or project says otherwise; where not, the server says so once
 * and they run as before. A sandbox never falls back to the host's network, where it would reach every loopback port.
 */
function sandboxSettings(config: Config, logger: Logger, notifyHidden: string[]): SandboxSettings {
  const bwrap = probeBwrap(process.env.PATH);
  const userNet = probeUserNet(process.env.PATH);
  warnOfSandboxGaps(logger, bwrap, userNet);
  const { auth } = config;
  const hidden = [dirname(auth.tokenFile), auth.namedTokensFile, config.fleetConfigFile, ...(auth.credentialsDirectory ? [auth.credentialsDirectory] : []), ...notifyHidden];
  return { hidden, presetsByDefault: true, bwrap, userNet };
}

/** Said once at start: why the presets run unsandboxed, or what sandboxed agents will lack. */
function warnOfSandboxGaps(logger: Logger, bwrap: BwrapStatus, userNet: UserNetStatus): void {
  if (bwrap.problem !== undefined) {
    logger.warn({ problem: bwrap.problem }, 'the built-in presets run unsandboxed, as bwrap is not usable here; a role or project with "sandbox": true fails to start its tasks');
  } else if (userNet.problem !== undefined) {
    logger.warn({ problem: userNet.problem }, 'the built-in presets run unsandboxed, as pasta is not usable here to give their sandbox a network; a role or project with "sandbox": true and network on fails to start its tasks');
  } else {
    const resolvers = loopbackResolvers();
    if (resolvers.length === 0) return;
    logger.warn(
      { resolvers },
      "sandboxed agents with network on cannot resolve names: /etc/resolv.conf names only resolvers on the host's loopback, which their network does not reach; point it at one they can reach (with systemd-resolved: /run/systemd/resolve/resolv.conf)",
    );
  }
}
