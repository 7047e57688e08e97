import { loadServerToken, type ServerToken } from '../auth/server-token.js';
import { FailureThrottle } from '../auth/throttle.js';
import { readNamedTokens } from '../auth/named-token-store.js';
import { isReadableByOthers } from '../auth/token-store.js';
import { TokenRateLimiter } from '../auth/token-rate.js';
import { TokenRegistry } from '../auth/token-registry.js';
import { usageFileFor, UsageRecorder } from '../auth/token-usage.js';
import { watchNamedTokens, watchTokenFile, type TokenWatcher } from '../auth/token-watcher.js';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';
import { systemClock } from '../clock.js';
import { createApp } from '../http/app.js';
import { defaultAllowedHosts } from '../http/host-guard.js';
import { createLegacySse } from '../http/legacy-sse.js';
import { isLoopbackHost } from '../http/loopback.js';
import { createMcpHandler } from '../http/mcp-handler.js';
import { McpSessions } from '../http/mcp-sessions.js';
import { TokenBoundRequests } from '../http/token-bound-requests.js';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import { RESOURCE_UPDATE_DEBOUNCE_MS, ResourceSubscriptions } from '../mcp/resource-subscriptions.js';
import { TaskRegistry } from '../mcp/task-registry.js';
import { assertPortFree, listen } from '../http/serve.js';
import { createLogger, type Logger } from '../log.js';
import { VERSION } from '../version.js';
import { readFleetConfig } from '../fleet/fleet-config.js';
import { watchFleetConfig } from './fleet-config-reload.js';
import { openFleet } from './open-fleet.js';
import { engineSettings, guardedPaths } from './engine-settings.js';
import { mountExposure } from '../fleet/backends/remote/mount-guard.js';
import { createGitHttp } from '../http/git-http.js';
import { closeInheritedFds } from './inherited-fds.js';
import { useSpawnHelper } from '../fleet/spawn/start-process.js';
import { resolveRoles } from '../fleet/roles.js';
import { sandboxReachProblem, servedAt } from './sandbox-reach-guard.js';
import { describeListenError } from './listen-errors.js';
import { handleServeSignals } from './serve-signals.js';
import { stopNotice } from './stop-notice.js';
import { shareFleet } from './share-fleet.js';
import { UI_SESSION_LIMITS, UiSessions } from '../http/ui/sessions.js';
import { createUiApp } from '../http/ui/ui-app.js';

const THROTTLE = { limit: 10, windowMs: 60_000, maxClients: 10_000 };

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The only place a token value is ever shown by the server: once, when it was just generated, and only to a
 * person at a terminal. Under systemd or any pipe stdout is not a TTY and nothing is printed.
 */
function showNewTokenOnTerminal(token: ServerToken): void {
  const source = token.source;
  if (source.kind !== 'file' || !source.created || !process.stdout.isTTY) return;
  process.stdout.write(
    `\nA new auth token was generated and saved to ${source.file}:\n\n  ${source.value}\n\n` +
      'Clients send it as "Authorization: Bearer <token>". Show it again with `fleet-mcp token show`.\n\n',
  );
}

function authFields(token: ServerToken | undefined): Record<string, unknown> {
  if (!token) return { auth: 'disabled' };
  const source = token.source;
  if (source.kind === 'env') return { auth: 'enabled', token_source: 'FLEET_MCP_AUTH_TOKEN' };
  if (source.kind === 'credential')
    return { auth: 'enabled', token_source: 'systemd credential', token_file: source.file };
  return {
    auth: 'enabled',
    token_source: source.mounted ? 'mounted secret file' : 'file',
    token_file: source.file,
    token_created: source.created,
  };
}

/** Serving every agent runner on the network to anyone is refused unless the user says so explicitly. */
function checkExposure(config: Config, logger: Logger): void {
  if (config.auth.enabled || isLoopbackHost(config.host)) return;
  if (!config.guard.allowUnauthenticated) {
    throw new ConfigError(
      `refusing to serve ${config.host} without auth: anyone who can reach it could run commands on this host. ` +
        'Enable auth (FLEET_MCP_AUTH_ENABLED=true), bind to 127.0.0.1, or pass --allow-unauthenticated if you mean it',
    );
  }
  logger.warn({ host: config.host }, 'serving a non-loopback address WITHOUT auth, as --allow-unauthenticated asked');
}

interface ServerAuth {
  token: ServerToken;
  registry: TokenRegistry;
  usage: UsageRecorder;
  requests: TokenBoundRequests;
  watchers: TokenWatcher[];
}

/**
 * The shared token and the named tokens, each followed live. Only a token file can change under a running server;
 * an env token or a credential is fixed for its life. The named tokens file is read now, so a bad one stops the
 * start with its path and problem rather than locking every named client out silently.
 */
function startAuth(config: Config, logger: Logger): ServerAuth {
  const token = loadServerToken(config.auth);
  if (token.source.kind === 'file' && token.source.mounted && isReadableByOthers(token.source.file)) {
    logger.warn(
      { token_file: token.source.file },
      'the mounted token file is readable by other users; fine in a container of its own, not on a shared host',
    );
  }
  const registry = new TokenRegistry(token.tokens);
  const namedFile = config.auth.namedTokensFile;
  registry.replaceNamed(readNamedTokens(namedFile));
  const requests = new TokenBoundRequests({
    authenticate: registry.authenticate,
    nextExpiry: () => registry.nextExpiry(),
    clock: systemClock,
    logger,
  });
  const onApplied = (): void => requests.recheck();
  const watchers = [watchNamedTokens({ file: namedFile, registry, logger, onApplied })];
  if (token.source.kind === 'file')
    watchers.push(watchTokenFile({ file: token.source.file, tokens: token.tokens, logger, onApplied }));
  const usage = new UsageRecorder({
    file: usageFileFor(namedFile),
    onError: (error) => logger.warn({ reason: error.message }, 'could not write token usage statistics'),
  });
  return { token, registry, usage, requests, watchers };
}

function bothWatchers(watchers: TokenWatcher[]): TokenWatcher {
  return {
    reload: (force) => {
      for (const watcher of watchers) watcher.reload(force);
    },
    close: () => {
      for (const watcher of watchers) watcher.close();
    },
  };
}

export async function serveCommand(flags: ConfigFlags): Promise<void> {
  // Before anything is started: an fd the parent left open would reach every agent.
  closeInheritedFds();
  // Git and task supervisors start through a helper: this CLI, run again with its own command.
  useSpawnHelper();
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  const logger = createLogger({ level: config.logLevel });
  // The watchers join as they start; SIGHUP reloads whatever is in the list by then.
  const reloaders: TokenWatcher[] = [];
  const reloads = config.auth.enabled ? 'the token files and the fleet config' : 'the fleet config';
  const signals = handleServeSignals({ logger, watcher: bothWatchers(reloaders), reloads });
  const serving = await startServing({ config, logger, env: process.env, reloaders });
  signals.stopWith(serving.stop);
}

export interface StartServingOptions {
  config: Config;
  logger: Logger;
  /** What agents, notifiers and role lookups inherit: the process's own for `serve`. */
  env: NodeJS.ProcessEnv;
  /** Receives the token and fleet config watchers as they start, for whoever reloads them. */
  reloaders: TokenWatcher[];
}

export interface Serving {
  /** The MCP endpoint, as the "listening" line gives it. */
  url: string;
  port: number;
  /** Stops taking requests, closes the sessions and settles the fleet. */
  stop: () => Promise<void>;
}

/**
 * Everything `serve` runs once its config is loaded: auth, the fleet, the HTTP app and its listener. Without the
 * process's concerns (inherited fds, signals), so tests can run the whole server inside their own process.
 */
export async function startServing(options: StartServingOptions): Promise<Serving> {
  const { config, logger, reloaders } = options;
  const fleetConfig = readFleetConfig(config);
  const reach = sandboxReachProblem(servedAt(config), {
    roles: resolveRoles(fleetConfig.roles, { pathEnv: options.env.PATH }),
    projects: fleetConfig.projects,
  });
  if (reach) throw new ConfigError(`refusing to start: ${reach}`);
  checkExposure(config, logger);
  const auth = config.auth.enabled ? startAuth(config, logger) : undefined;
  const token = auth?.token;
  reloaders.push(...(auth?.watchers ?? []));
  const watcher = bothWatchers(reloaders);
  await assertPortFree(config.host, config.port).catch((error: unknown) => {
    throw describeListenError(error, config.host, config.port);
  });
  let port: number | null = null;
  const exposure = mountExposure(fleetConfig.backends, guardedPaths(config));
  if (exposure) throw new ConfigError(`refusing to start: ${exposure}`);
  const engines =
    Object.keys(fleetConfig.backends).length === 0
      ? undefined
      : engineSettings({
          backends: fleetConfig.backends,
          dataDir: config.dataDir,
          host: config.host,
          port: () => port,
          authEnabled: config.auth.enabled,
        });
  const fleet = await openFleet(config, fleetConfig, logger, 'serve', engines, options.env);
  const fleetConfigWatcher = watchFleetConfig({ config, fleet, logger, servesHttp: true });
  reloaders.push(fleetConfigWatcher);

  const mcpDeps = { fleet, tasks: new TaskRegistry(), events: new InMemoryServerEventBus(), logger };
  const legacySse = createLegacySse(mcpDeps);
  const subscriptions = new ResourceSubscriptions({
    fleet,
    logger,
    debounceMs: RESOURCE_UPDATE_DEBOUNCE_MS,
    bus: mcpDeps.events,
  });
  // serve's projects are its own config's (or its folder): a stdio client's folder is no project for HTTP callers.
  const socket = await shareFleet({ config, deps: mcpDeps, subscriptions, logger });
  const sessions = new McpSessions({
    deps: mcpDeps,
    subscriptions,
    logger,
    maxSessions: config.maxSessions,
    idleMs: config.sessionIdleMs,
  });
  const throttle = auth ? new FailureThrottle(THROTTLE) : undefined;
  const rateLimiter = auth ? new TokenRateLimiter() : undefined;
  const uiSessions = config.ui
    ? new UiSessions({ authenticate: auth?.registry.authenticate, clock: systemClock, limits: UI_SESSION_LIMITS })
    : undefined;
  const app = createApp({
    guard: {
      allowedHosts: defaultAllowedHosts(config.host, config.guard.allowedHosts),
      allowedOrigins: new Set(config.guard.allowedOrigins),
    },
    authenticate: auth?.registry.authenticate,
    throttle,
    rateLimiter,
    usage: auth?.usage,
    requests: auth?.requests,
    mcp: createMcpHandler(mcpDeps, sessions, logger),
    legacySse,
    git: engines
      ? createGitHttp({ repoOf: (agent) => fleet.engineRepository(agent), credentials: engines.credentials, logger })
      : undefined,
    ui: uiSessions
      ? createUiApp({
          fleet,
          logger,
          clock: systemClock,
          sessions: uiSessions,
          authenticate: auth?.registry.authenticate,
          throttle,
          requests: auth?.requests,
          usage: auth?.usage,
          rateLimiter,
        })
      : undefined,
    logger,
  });
  // Checked above, but another program may have taken the port since.
  const server = await listen({
    app,
    host: config.host,
    port: config.port,
    maxConnections: config.maxConnections,
    headersTimeoutMs: config.headersTimeoutMs,
  }).catch((error: unknown) => {
    throw describeListenError(error, config.host, config.port);
  });
  port = server.address.port;
  const url = `http://${displayHost(config.host)}:${server.address.port}/mcp`;
  // Shown before the "listening" line, so whoever waits for that line has seen the whole notice.
  if (token) showNewTokenOnTerminal(token);
  logger.info(
    {
      url,
      host: config.host,
      port: server.address.port,
      version: VERSION,
      ...authFields(token),
      projects: fleetConfig.projects.length,
      data_dir: config.dataDir,
      max_busy: config.maxBusy,
      ui: config.ui ? url.replace(/\/mcp$/, '/ui') : 'off',
    },
    'fleet-mcp listening',
  );

  const stop = async (): Promise<void> => {
    const notice = stopNotice(fleet, config.stopAgentsOnExit);
    // Stop taking requests and settle the fleet at once, so a wait_for_agent in flight answers before the grace ends.
    // The socket closes before the fleet lets go of the data dir, so it never removes a successor's socket.
    const closing = Promise.all([
      server.close(config.shutdownGraceMs).then(({ dropped }) => {
        if (dropped)
          logger.warn(
            { grace_ms: config.shutdownGraceMs },
            'dropped the requests still in flight when the grace ended',
          );
      }),
      (socket?.close() ?? Promise.resolve()).then(() => fleet.shutdown()),
    ]);
    watcher.close();
    auth?.requests.close();
    // Ends the web view's event streams, which would otherwise hold the server open for the whole grace.
    uiSessions?.closeAll();
    const [legacy, mcp] = await Promise.all([legacySse.closeAll(), sessions.closeAll()]);
    if (legacy > 0) logger.info({ sessions: legacy }, 'closed legacy SSE streams');
    if (mcp > 0) logger.info({ sessions: mcp }, 'closed MCP sessions');
    subscriptions.close();
    await closing;
    if (notice) logger.warn({ running_agents: notice.running, queued_tasks: notice.queued }, notice.message);
    // Last, so the requests answered during the grace are counted too.
    auth?.usage.close();
    logger.info('stopped');
  };
  return { url, port: server.address.port, stop };
}
