import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';
import { readFleetConfig } from '../fleet/fleet-config.js';
import { installCommand, isTransient } from '../systemd/install-command.js';
import { renderUnit, SYSTEM_STATE_DIRECTORY, type UnitKind, type UnitOptions } from '../systemd/unit.js';
import { VERSION } from '../version.js';

export interface SystemdFlags extends Pick<ConfigFlags, 'host' | 'port' | 'config' | 'dataDir'> {
  user?: boolean;
  system?: boolean;
}

function unitKind(flags: SystemdFlags): UnitKind {
  if (flags.user && flags.system) throw new ConfigError('--user and --system exclude each other');
  return flags.system ? 'system' : 'user';
}

function tokenFile(kind: UnitKind, config: Config): string {
  return kind === 'system' ? join('/var/lib', SYSTEM_STATE_DIRECTORY, 'auth_token') : config.auth.tokenFile;
}

function environment(kind: UnitKind, config: Config): [string, string][] {
  const variables: [string, string][] = [
    ['FLEET_MCP_AUTH_ENABLED', 'true'],
    ['FLEET_MCP_AUTH_TOKEN_FILE', tokenFile(kind, config)],
    ['FLEET_MCP_HOST', config.host],
    ['FLEET_MCP_PORT', String(config.port)],
    ['FLEET_MCP_DATA_DIR', config.dataDir],
  ];
  if (existsSync(config.fleetConfigFile)) variables.push(['FLEET_MCP_CONFIG', config.fleetConfigFile]);
  // A service starts with a bare PATH; agents need the same tools (git, agent CLIs) they find in this shell.
  if (process.env.PATH) variables.push(['PATH', process.env.PATH]);
  return variables;
}

/** Writable paths in order, leaving out any that lies inside one already listed. */
function writablePaths(kind: UnitKind, config: Config, projects: readonly string[]): UnitOptions['writablePaths'] {
  const candidates = [
    { path: homedir(), optional: false },
    ...projects.map((path) => ({ path, optional: false })),
    { path: config.dataDir, optional: true },
    ...(kind === 'user' ? [{ path: dirname(config.auth.tokenFile), optional: true }] : []),
  ];
  const kept: UnitOptions['writablePaths'][number][] = [];
  for (const candidate of candidates) {
    if (!kept.some(({ path }) => candidate.path === path || candidate.path.startsWith(`${path}/`)))
      kept.push(candidate);
  }
  return kept;
}

/** Prints a unit file that runs this install of `fleet-mcp serve` with auth on, as configured here and now. */
export function systemdCommand(flags: SystemdFlags): void {
  const kind = unitKind(flags);
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  const fleet = readFleetConfig(config);
  const command = installCommand();
  process.stdout.write(
    renderUnit({
      kind,
      command,
      workingDirectory: config.cwd,
      environment: environment(kind, config),
      writablePaths: writablePaths(
        kind,
        config,
        fleet.projects.map((project) => project.path),
      ),
      user: userInfo().username,
      version: VERSION,
    }),
  );
  if (isTransient(command)) {
    process.stderr.write(
      'fleet-mcp: note: this copy runs from the npx cache, which npx may clear; install it (npm install -g fleet-mcp) and print the unit again.\n',
    );
  }
}
