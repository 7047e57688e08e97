import type { Fleet } from '../fleet/fleet.js';
import type { BwrapStatus } from '../fleet/backends/local/sandbox/bwrap.js';
import { loopbackResolvers, type UserNetStatus } from '../fleet/backends/local/sandbox/user-net.js';
import type { Project } from '../fleet/projects.js';
import { AGENT_CLI_INSTALL_HINT } from '../fleet/roles.js';
import type { Role } from '../fleet/types.js';
import type { Logger } from '../log.js';

export interface StartWarningsInput {
  fleet: Fleet;
  roles: readonly Role[];
  projects: readonly Project[];
  bwrap: BwrapStatus;
  userNet: UserNetStatus;
  fleetConfigFile: string;
}

/**
 * Said once at start, each in one line, and only where it applies: what the sandbox lacks (to the roles that would
 * use it), each role whose tasks cannot start with why and the fix, and a fleet in which no role can start one.
 */
export function warnAtStart(logger: Logger, input: StartWarningsInput): void {
  warnOfSandboxGaps(logger, input);
  const unusable = unusableRoles(input.fleet);
  for (const [role, problem] of unusable) logger.warn({ role }, problem);
  if (input.roles.length === 0) {
    logger.warn(
      { config: input.fleetConfigFile },
      `no agent CLI was found on PATH, so agents have no role to run: install one of ${AGENT_CLI_INSTALL_HINT} and restart, or add a role under "roles" in the fleet config`,
    );
  } else if (input.projects.length > 0 && unusable.size === input.roles.length) {
    logger.warn(
      { config: input.fleetConfigFile },
      `no role can start a task here (see the warnings above): fix one, or install an agent CLI where the sandbox sees it: ${AGENT_CLI_INSTALL_HINT}`,
    );
  }
}

/** Each role that cannot start a task in some project, with the first such problem. */
function unusableRoles(fleet: Fleet): Map<string, string> {
  const unusable = new Map<string, string>();
  for (const project of fleet.listProjects()) {
    for (const role of fleet.listRoles(project.name))
      if (role.problem && !unusable.has(role.name)) unusable.set(role.name, role.problem);
  }
  return unusable;
}

/** Whether some role's tasks would ask for the sandbox (by default, as the presets do, or by config); with network on. */
function sandboxWanted(input: StartWarningsInput, network: boolean): boolean {
  const projectForces = input.projects.some((project) => project.sandbox === true);
  return input.roles.some((role) => {
    const wanted =
      role.sandbox.enabled === true || projectForces || (role.sandbox.enabled === null && role.source === 'builtin');
    return wanted && (!network || role.sandbox.network);
  });
}

/** Why the presets run unsandboxed, or what sandboxed agents will lack; nothing to a fleet none of whose roles would be sandboxed. */
function warnOfSandboxGaps(logger: Logger, input: StartWarningsInput): void {
  const { bwrap, userNet } = input;
  if (!sandboxWanted(input, false)) return;
  if (bwrap.problem !== undefined) {
    logger.warn(
      { problem: bwrap.problem },
      'the built-in presets run unsandboxed, as bwrap is not usable here; a role or project with "sandbox": true fails to start its tasks',
    );
    return;
  }
  if (!sandboxWanted(input, true)) return;
  if (userNet.problem !== undefined) {
    logger.warn(
      { problem: userNet.problem },
      'the built-in presets run unsandboxed, as pasta is not usable here to give their sandbox a network; a role or project with "sandbox": true and network on fails to start its tasks',
    );
    return;
  }
  const resolvers = loopbackResolvers();
  if (resolvers.length === 0) return;
  logger.warn(
    { resolvers },
    "sandboxed agents with network on cannot resolve names: /etc/resolv.conf names only resolvers on the host's loopback, which their network does not reach; point it at one they can reach (with systemd-resolved: /run/systemd/resolve/resolv.conf)",
  );
}
