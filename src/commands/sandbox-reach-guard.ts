import type { Config } from '../config.js';
import { isLoopbackHost } from '../http/loopback.js';
import type { Project } from '../fleet/projects.js';
import type { Role } from '../fleet/types.js';

export interface ServedAt {
  authEnabled: boolean;
  host: string;
  port: number;
}

export function servedAt(config: Config): ServedAt {
  return { authEnabled: config.auth.enabled, host: config.host, port: config.port };
}

export interface ReachedRoles {
  /** The roles on offer, as resolveRoles gives them to the fleet. */
  roles: readonly Role[];
  projects: readonly Project[];
}

/**
 * With auth off, anything that reaches the server's port runs agents, unsandboxed ones included. This says how a
 * sandboxed agent could reach it and what to change, or null: through a host loopback port its role lists, or, on a
 * non-loopback address, through its network, which reaches the host's other addresses.
 */
export function sandboxReachProblem(server: ServedAt, reached: ReachedRoles): string | null {
  if (server.authEnabled) return null;
  return ownPortProblem(server.port, reached.roles) ?? openAddressProblem(server.host, reached);
}

/** Port 0 is whatever port is free at start, which no role can name. */
function ownPortProblem(port: number, roles: readonly Role[]): string | null {
  if (port === 0) return null;
  const role = roles.find((candidate) => candidate.sandbox.ports.includes(port));
  if (!role) return null;
  return (
    `without auth, role "${role.name}" must not list port ${port}, this server's own, in sandbox.ports: its agents could call /mcp and ` +
    `start agents outside the sandbox. Take ${port} out of its ports, serve on another port, or enable auth (FLEET_MCP_AUTH_ENABLED=true)`
  );
}

function openAddressProblem(host: string, reached: ReachedRoles): string | null {
  if (isLoopbackHost(host)) return null;
  const anyProjectSandboxed = reached.projects.some((project) => project.sandbox === true);
  // A project's `true` sandboxes every role; otherwise the role's own setting, and the presets are sandboxed by default.
  const networked = reached.roles
    .filter((role) => role.sandbox.network)
    .filter(
      (role) =>
        anyProjectSandboxed ||
        role.sandbox.enabled === true ||
        (role.sandbox.enabled === null && role.source === 'builtin'),
    )
    .map((role) => `"${role.name}"`);
  if (networked.length === 0) return null;
  return (
    `without auth on ${host}, the sandboxed agents of roles ${networked.join(', ')} could reach this server through the ` +
    `host's own addresses and start agents outside the sandbox. Enable auth (FLEET_MCP_AUTH_ENABLED=true), bind to 127.0.0.1, ` +
    'or give each of those roles "sandbox": {"network": false} in the fleet config'
  );
}
