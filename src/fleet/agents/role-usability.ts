import { isAbsolute } from 'node:path';
import { findExecutable } from '../executables.js';
import type { AgentLauncher } from '../backends/local/sandbox/launcher.js';
import { LOCAL_BACKEND } from '../backends/backends-config.js';
import { engineProblem, type EngineSettings } from '../backends/remote/engine-launch.js';
import type { Project } from '../projects.js';
import type { Role } from '../types.js';

/** A role as offered for a project, with whether its tasks can start there and, if not, why and the fix. */
export interface OfferedRole extends Role {
  usable: boolean;
  /** Null when usable; else the one line its tasks would fail with (e.g. a CLI under /tmp, which the sandbox hides). */
  problem: string | null;
}

export interface UsabilityDeps {
  launcher: AgentLauncher;
  /** The agents' PATH before the role's own env. */
  pathEnv: string | undefined;
  /** The engines of the fleet's other backends, and the server's environment their secrets come from. */
  engines?: EngineSettings;
  baseEnv: NodeJS.ProcessEnv;
}

/** Why the role's tasks cannot start in the project, or null; said before any task runs into it. */
export function roleProblem(role: Role, project: Project | undefined, deps: UsabilityDeps): string | null {
  const backend = role.backend ?? project?.backend ?? LOCAL_BACKEND;
  if (backend !== LOCAL_BACKEND) return engineRoleProblem(role, backend, deps);
  const program = role.command[0];
  const pathEnv = role.env.PATH ?? deps.pathEnv;
  // A placeholder or a path relative to the agent's working directory is known only when a task runs.
  const knowable = program !== undefined && !program.includes('{') && (!program.includes('/') || isAbsolute(program));
  if (knowable && !findExecutable(program, { pathEnv, cwd: '/' })) {
    return `role "${role.name}": its command "${program}" was not found on the server's PATH: install it, or fix the role's command in the fleet config`;
  }
  return deps.launcher.problem(role, project);
}

/** On an engine the image holds the CLI, which only a task can look for: what the server itself must have is checked. */
function engineRoleProblem(role: Role, backend: string, deps: UsabilityDeps): string | null {
  const config = deps.engines?.backends[backend];
  if (!deps.engines || !config)
    return `role "${role.name}" runs on backend "${backend}", which this server does not run: engine backends need fleet-mcp serve, which reads "backends" when it starts, so restart it after adding one`;
  return engineProblem(deps.engines, { ...config, name: backend }, role, deps.baseEnv);
}

export function offeredRole(role: Role, project: Project | undefined, deps: UsabilityDeps): OfferedRole {
  const problem = roleProblem(role, project, deps);
  return { ...role, usable: problem === null, problem };
}
