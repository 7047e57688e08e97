import { loadServerToken, type ServerToken } from '../auth/server-token.js';
import { createTokenMatcher } from '../auth/token.js';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';
import { FleetError } from '../fleet/errors.js';
import { createFleet, type Fleet } from '../fleet/fleet.js';
import { loadFleetConfig, type FleetConfig } from '../fleet/fleet-config.js';
import { resolveRoles } from '../fleet/roles.js';
import { createApp } from '../http/app.js';
import { createMcpHandler } from '../http/mcp-handler.js';
import { listen } from '../http/serve.js';
import { createLogger, type Logger } from '../log.js';
import { VERSION } from '../version.js';

const SHUTDOWN_GRACE_MS = 10_000;

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The only place a token value is ever shown by the server: once, when it was just generated, and only to a
 * person at a terminal. Under systemd or any pipe stdout is not a TTY and nothing is printed.
 */
function showNewTokenOnTerminal(token: ServerToken): void {
  if (token.source.kind !== 'file' || !token.source.created || !process.stdout.isTTY) return;
  process.stdout.write(
    `\nA new auth token was generated and saved to ${token.source.file}:\n\n  ${token.value}\n\n` +
      'Clients send it as "Authorization: Bearer <token>". Show it again with `fleet-mcp token show`.\n\n',
  );
}

function authFields(config: Config, token: ServerToken | undefined): Record<string, unknown> {
  if (!token) return { auth: 'disabled' };
  if (token.source.kind === 'env') return { auth: 'enabled', token_source: 'FLEET_MCP_AUTH_TOKEN' };
  return { auth: 'enabled', token_source: 'file', token_file: config.auth.tokenFile, token_created: token.source.created };
}

function handleSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Opens the fleet on the data dir; what stops it (a role limited to an unknown project, a data dir in use) is a start-up error. */
async function openFleet(config: Config, fleetConfig: FleetConfig, logger: Logger): Promise<Fleet> {
  try {
    return await createFleet({
      dataDir: config.dataDir,
      projects: fleetConfig.projects,
      roles: resolveRoles(fleetConfig.roles, { pathEnv: process.env.PATH }),
      maxBusy: config.maxBusy,
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

export async function serveCommand(flags: ConfigFlags): Promise<void> {
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  const logger = createLogger({ level: config.logLevel });
  const fleetConfig = loadFleetConfig({ file: config.fleetConfigFile, required: config.fleetConfigRequired, cwd: config.cwd });
  const token = config.auth.enabled ? loadServerToken(config.auth) : undefined;
  const fleet = await openFleet(config, fleetConfig, logger);

  const app = createApp({
    verifyToken: token ? createTokenMatcher(token.value) : undefined,
    mcp: createMcpHandler({ projects: fleetConfig.projects, fleet }),
    logger,
  });
  const server = await listen({ app, host: config.host, port: config.port });
  const url = `http://${displayHost(config.host)}:${server.address.port}/mcp`;
  // Shown before the "listening" line, so whoever waits for that line has seen the whole notice.
  if (token) showNewTokenOnTerminal(token);
  logger.info(
    { url, host: config.host, port: server.address.port, version: VERSION, ...authFields(config, token), projects: fleetConfig.projects.length, data_dir: config.dataDir, max_busy: config.maxBusy },
    'fleet-mcp listening',
  );

  handleSignals(logger, async () => {
    // Stop taking requests and cancel running tasks at once, so a wait_for_agent in flight answers before the grace ends.
    await Promise.all([server.close(SHUTDOWN_GRACE_MS), fleet.shutdown()]);
    logger.info('stopped');
  });
}
