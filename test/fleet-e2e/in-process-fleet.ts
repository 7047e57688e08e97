import { readFileSync } from 'node:fs';
import { startInProcessServer, type InProcessServer } from '../helpers/in-process-server.js';
import { rememberSecret } from '../helpers/secrets.js';
import { connectFleetClient, type FleetSandbox, type FleetServer } from './fleet-server.js';

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
  const server = await startInProcessServer(fleet.sandbox, {
    env: {
      FLEET_MCP_AUTH_ENABLED: 'true',
      FLEET_MCP_CONFIG: fleet.configFile,
      FLEET_MCP_DATA_DIR: fleet.dataDir,
      FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
      ...env,
    },
  });
  const token =
    env.FLEET_MCP_AUTH_TOKEN ?? rememberSecret(JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value);
  return { server, token, ...(await connectFleetClient(server.mcpUrl, token)) };
}
