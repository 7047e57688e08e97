import type { Scope } from '../../src/auth/scopes.js';
import { startInProcessServer, type InProcessServer } from '../helpers/in-process-server.js';
import { addNamedToken } from '../helpers/named-tokens.js';
import {
  connectFleetClient,
  type FleetSandbox,
  type FleetServer,
  fleetServerEnv,
  fleetServerToken,
} from './fleet-server.js';

export interface InProcessFleetServer extends Omit<FleetServer, 'server'> {
  server: InProcessServer;
  /** The shared token the server made, which the client sends. */
  token: string;
}

/**
 * The fleet server of startFleetServer, with auth on and agents stopping with it, but running in this process; the
 * real 2025-era SDK client talks to it over loopback HTTP.
 */
export async function startInProcessFleetServer(
  fleet: FleetSandbox,
  env: NodeJS.ProcessEnv = {},
): Promise<InProcessFleetServer> {
  const server = await startInProcessServer(fleet.sandbox, { env: fleetServerEnv(fleet, env) });
  const token = fleetServerToken(fleet, env);
  return { server, token, ...(await connectFleetClient(server.mcpUrl, token)) };
}

/**
 * Named tokens, made before the server starts so it reads them at once, as `fleet-mcp token create <name> --scope`
 * would; returns each token's value by name.
 */
export function createNamedTokens(fleet: FleetSandbox, scopes: Record<string, Scope>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(scopes).map(([name, scope]) => [name, addNamedToken(fleet.sandbox, name, { scope })]),
  );
}
