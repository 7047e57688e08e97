import { childEnv } from '../child-env.js';
import { findExecutable } from '../executables.js';
import { loginSign } from './agent-logins.js';
import type { AgentLauncher } from '../backends/local/sandbox/launcher.js';
import type { Project } from '../projects.js';
import { roleProblem } from './role-usability.js';
import { BUILTIN_ROLES, type RolesConfig } from '../roles.js';
import type { Role } from '../types.js';

/** One role as a first run sees it: is its CLI there, does it look logged in, can its tasks start. */
export interface RoleState {
  name: string;
  /** Whether the role is a preset of fleet-mcp's own. */
  preset: boolean;
  /** The file its command runs, where found on PATH. */
  file: string | null;
  /** Why it is not offered (its CLI missing, with how to install it; disabled); null when offered. */
  absent: string | null;
  /** What suggests a login (never the secret), or null with `how`; null for a role without known signs. */
  login: { found: string | null; how: string } | null;
  /** Why its tasks cannot start, with the fix; null when they can (or when it is not offered). */
  problem: string | null;
}

export interface RoleStatesInput {
  roles: readonly Role[];
  rolesConfig: RolesConfig;
  project: Project | undefined;
  launcher: AgentLauncher;
  baseEnv: NodeJS.ProcessEnv;
}

/** Every preset, offered or not, then the config's own roles. */
export function roleStates(input: RoleStatesInput): RoleState[] {
  const presets = BUILTIN_ROLES.map((builtin): RoleState => {
    const role = input.roles.find((candidate) => candidate.name === builtin.name);
    const absent = input.rolesConfig[builtin.name]?.disabled
      ? 'disabled in the fleet config'
      : `not installed: ${builtin.install}`;
    if (!role) return { name: builtin.name, preset: true, file: null, absent, login: null, problem: null };
    return { ...offered(role, input), preset: true };
  });
  const own = input.roles.filter(
    (role) => role.source === 'config' && !BUILTIN_ROLES.some((builtin) => builtin.name === role.name),
  );
  return [...presets, ...own.map((role) => ({ ...offered(role, input), preset: false }))];
}

function offered(role: Role, input: RoleStatesInput): Omit<RoleState, 'preset'> {
  const env = childEnv(input.baseEnv, role.env);
  const file = role.command[0] ? findExecutable(role.command[0], { pathEnv: env.PATH, cwd: '/' }) : null;
  const problem = roleProblem(role, input.project, {
    launcher: input.launcher,
    pathEnv: input.baseEnv.PATH,
    baseEnv: input.baseEnv,
  });
  return { name: role.name, file, absent: null, login: loginSign(role.name, env), problem };
}
