import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';
import { roleStates, type RoleState } from '../fleet/agents/agent-clis.js';
import { addProjectToConfig } from '../fleet/config-projects.js';
import { readFleetConfig } from '../fleet/fleet-config.js';
import { createFleetLauncher } from '../fleet/backends/local/sandbox/fleet-launcher.js';
import { AGENT_CLI_INSTALL_HINT, resolveRoles } from '../fleet/roles.js';
import { sandboxSettings } from './sandbox-settings.js';

export type InitFlags = Pick<ConfigFlags, 'config' | 'dataDir'>;

/** The top of the git work tree holding `cwd`; one line with the fix outside one. */
function gitTopLevel(cwd: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError(
        'git was not found on PATH: install git, which fleet-mcp needs to give each agent a worktree',
      );
    throw new ConfigError(
      `${cwd} is not inside a git work tree: run fleet-mcp init in the repository agents should work on (git init makes one)`,
    );
  }
}

function refuseDataDir(path: string, config: Config): void {
  const inside = relative(config.dataDir, path);
  if (inside === '' || !inside.startsWith('..')) {
    throw new ConfigError(
      `${path} is in fleet-mcp's data dir ${config.dataDir} (an agent's worktree): run fleet-mcp init in your own repository`,
    );
  }
}

/** Whether the presets run sandboxed here; they need bwrap, and pasta for the network their model API needs. */
function sandboxLine(sandbox: ReturnType<typeof sandboxSettings>): string {
  if (sandbox.bwrap.problem)
    return `sandbox: not usable here (${sandbox.bwrap.problem}); the built-in roles run unsandboxed`;
  if (sandbox.userNet.problem)
    return `sandbox: bwrap works, but not pasta (${sandbox.userNet.problem}); the built-in roles run unsandboxed`;
  return 'sandbox: bwrap works; the built-in roles run sandboxed';
}

function describe(state: RoleState): string {
  if (state.absent) return state.absent;
  const parts = [state.file ?? 'its command is not on PATH'];
  if (state.login)
    parts.push(state.login.found ? `looks logged in (${state.login.found})` : `no login found: ${state.login.how}`);
  parts.push(state.problem ? `NOT usable: ${state.problem}` : 'usable');
  return parts.join('; ');
}

/**
 * Makes the repository the command runs in a project of the fleet config, then says which agent CLIs are
 * installed, which look logged in and which can run their tasks here (in the sandbox where they would be).
 */
export function initCommand(flags: InitFlags): void {
  const config = loadConfig({ env: process.env, cwd: process.cwd(), flags });
  const top = gitTopLevel(config.cwd);
  refuseDataDir(top, config);
  const project = addProjectToConfig(config.fleetConfigFile, top);
  const lines = [
    project.added
      ? `added project "${project.name}" (${project.path}) to the fleet config ${config.fleetConfigFile}`
      : `project "${project.name}" (${project.path}) is already in the fleet config ${config.fleetConfigFile}: nothing changed`,
  ];
  const fleetConfig = readFleetConfig(config);
  const sandbox = sandboxSettings(config);
  lines.push(sandboxLine(sandbox));
  const launcher = createFleetLauncher({ dataDir: config.dataDir, baseEnv: process.env, sandbox });
  const roles = resolveRoles(fleetConfig.roles, { pathEnv: process.env.PATH });
  const states = roleStates({
    roles,
    rolesConfig: fleetConfig.roles,
    project: fleetConfig.projects.find((p) => p.name === project.name),
    launcher,
    baseEnv: process.env,
  });
  const width = Math.max(...states.map((state) => state.name.length)) + 2;
  lines.push(
    'agent roles:',
    ...states.map((state) => `  ${state.name.padEnd(width)}${state.preset ? '' : '(fleet config) '}${describe(state)}`),
  );
  if (!states.some((state) => !state.absent && !state.problem))
    lines.push(
      `no role can run a task yet: install an agent CLI (${AGENT_CLI_INSTALL_HINT}), then run fleet-mcp init again`,
    );
  lines.push('next: fleet-mcp serve (a running server reads the fleet config again within a second)');
  process.stdout.write(`${lines.join('\n')}\n`);
}
