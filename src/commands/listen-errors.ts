import { ConfigError } from '../config-error.js';

/**
 * A listen that failed for a reason the user fixes (a busy port, a privileged one, an address not of this host) as
 * one line naming the address and how to choose another; anything else is returned as it was.
 */
export function describeListenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new ConfigError(
      `port ${port} is in use (${where}), perhaps by another fleet-mcp serve: stop that, or choose another port with --port or FLEET_MCP_PORT (0 picks a free one)`,
    );
  }
  if (code === 'EACCES') {
    return new ConfigError(
      `port ${port} (${where}) needs privileges this user lacks: choose a port above 1023 with --port or FLEET_MCP_PORT`,
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new ConfigError(
      `${host} is not an address of this host: choose another with --host or FLEET_MCP_HOST (127.0.0.1 by default)`,
    );
  }
  return error;
}
