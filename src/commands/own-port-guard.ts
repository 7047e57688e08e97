import type { RolesConfig } from '../fleet/roles.js';

/**
 * With auth off, anything that reaches the server's port runs agents, unsandboxed ones included. A sandboxed agent
 * reaches no host loopback port but those its role lists, so a role must not list the server's own: this says
 * which role does and what to change, or null. Port 0 is whatever port is free at start, which no role can name.
 */
export function ownPortProblem(
  server: { authEnabled: boolean; port: number },
  roles: RolesConfig | undefined,
): string | null {
  if (server.authEnabled || server.port === 0) return null;
  const role = Object.entries(roles ?? {}).find(
    ([, settings]) => typeof settings.sandbox === 'object' && settings.sandbox.ports?.includes(server.port),
  );
  if (!role) return null;
  return (
    `without auth, role "${role[0]}" must not list port ${server.port}, this server's own, in sandbox.ports: its agents could call /mcp and ` +
    `start agents outside the sandbox. Take ${server.port} out of its ports, serve on another port, or enable auth (FLEET_MCP_AUTH_ENABLED=true)`
  );
}
