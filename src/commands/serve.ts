import { loadServerToken, type ServerToken } from '../auth/server-token.js';
import { createTokenMatcher } from '../auth/token.js';
import { loadConfig, type Config, type ConfigFlags } from '../config.js';
import { loadFleetConfig } from '../fleet/fleet-config.js';
import { createApp } from '../http/app.js';
import { createLegacySse } from '../http/legacy-sse.js';
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

export async function serveCommand(flags: ConfigFlags): Promise<void> {
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  const logger = createLogger({ level: config.logLevel });
  const fleetConfig = loadFleetConfig({ file: config.fleetConfigFile, required: config.fleetConfigRequired, cwd: config.cwd });
  const token = config.auth.enabled ? loadServerToken(config.auth) : undefined;

  const legacySse = createLegacySse({ projects: fleetConfig.projects });
  const app = createApp({
    verifyToken: token ? createTokenMatcher(token.value) : undefined,
    mcp: createMcpHandler({ projects: fleetConfig.projects }),
    legacySse,
    logger,
  });
  const server = await listen({ app, host: config.host, port: config.port });
  const url = `http://${displayHost(config.host)}:${server.address.port}/mcp`;
  // Shown before the "listening" line, so whoever waits for that line has seen the whole notice.
  if (token) showNewTokenOnTerminal(token);
  logger.info(
    { url, host: config.host, port: server.address.port, version: VERSION, ...authFields(config, token), projects: fleetConfig.projects.length },
    'fleet-mcp listening',
  );

  handleSignals(logger, async () => {
    const closing = server.close(SHUTDOWN_GRACE_MS);
    const sessions = await legacySse.closeAll();
    if (sessions > 0) logger.info({ sessions }, 'closed legacy SSE streams');
    await closing;
    logger.info('stopped');
  });
}
