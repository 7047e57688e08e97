import { FleetError, listNames } from './errors.js';
import { NO_PROJECTS_HINT, type Project } from './projects.js';
import { absentPresetReason, AGENT_CLI_INSTALL_HINT } from './roles.js';
import type { Agent, Role } from './types.js';

/** The projects and roles of the fleet, and the lookups whose errors list what is valid. */
export class Catalog {
  constructor(
    readonly projects: readonly Project[],
    readonly roles: readonly Role[],
    /** The agents' PATH, to say why a built-in preset asked for by name is not offered. */
    private readonly pathEnv?: string,
  ) {
    const projectNames = projects.map((project) => project.name);
    for (const role of roles) {
      const unknown = (role.projects ?? []).filter((name) => !projectNames.includes(name));
      if (unknown.length > 0) {
        throw new FleetError(
          'invalid_argument',
          `Role "${role.name}" is limited to unknown project(s) ${listNames(unknown)}. Projects: ${listNames(projectNames)}.`,
        );
      }
    }
  }

  project(name: string): Project {
    const project = this.projects.find((candidate) => candidate.name === name);
    if (project) return project;
    if (this.projects.length === 0)
      throw new FleetError('not_found', `Unknown project ${JSON.stringify(name)}. ${NO_PROJECTS_HINT}`);
    throw new FleetError(
      'not_found',
      `Unknown project ${JSON.stringify(name)}. Projects: ${listNames(this.projects.map((p) => p.name))}.`,
    );
  }

  /** The roles offered for the project, the effective default marked. */
  rolesOf(projectName: string): Role[] {
    const roles = this.rolesFor(this.project(projectName));
    const fallback = defaultRole(roles);
    return roles.map((role) => ({ ...role, default: role === fallback }));
  }

  /** The named role, or the project's default when no name is given. */
  roleFor(project: Project, name: string | undefined): Role {
    const roles = this.rolesFor(project);
    if (name === undefined) {
      const role = defaultRole(roles);
      if (role) return role;
      throw new FleetError(
        'not_found',
        `No role is available for project "${project.name}": no built-in agent CLI (claude, codex, gemini, opencode, aider) ` +
          `is on the server's PATH and the fleet config defines none for it. Install one (${AGENT_CLI_INSTALL_HINT}) and restart the server, or add a role under "roles" in the fleet config.`,
      );
    }
    const role = roles.find((candidate) => candidate.name === name);
    if (role) return role;
    const elsewhere = this.roles.find((candidate) => candidate.name === name);
    const why = elsewhere
      ? `Role "${name}" is not offered for project "${project.name}".`
      : (absentPresetReason(name, this.pathEnv) ?? `Unknown role ${JSON.stringify(name)}.`);
    throw new FleetError(
      'not_found',
      `${why} Roles for project "${project.name}": ${listNames(roles.map((role) => role.name))}.`,
    );
  }

  /** The role an existing agent was created with. */
  agentRole(agent: Agent): Role {
    const role = this.roles.find((candidate) => candidate.name === agent.role);
    if (role) return role;
    throw new FleetError(
      'failed',
      `The role "${agent.role}" of agent "${agent.name}" is no longer configured. ` +
        `Roles: ${listNames(this.roles.map((r) => r.name))}. Delete the agent and create it again with one of them.`,
    );
  }

  private rolesFor(project: Project): Role[] {
    return this.roles.filter((role) => role.projects === null || role.projects.includes(project.name));
  }
}

function defaultRole(roles: Role[]): Role | undefined {
  return roles.find((role) => role.default) ?? roles[0];
}
