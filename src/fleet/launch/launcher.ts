import type { GitContext } from '../backend.js';
import type { Project } from '../projects.js';
import type { Role } from '../types.js';
import type { SandboxSpec } from './bwrap.js';
import { sandboxMounts } from './sandbox-mounts.js';
import type { UserNetwork } from './user-net.js';

/**
 * Where an agent's process is launched. Every task goes through AgentLauncher.prepare, which decides how it is
 * isolated, and the backend's startProcess, which starts the resulting argv under the task supervisor:
 *   - direct: the CLI as a process of the server's user, seeing what that user sees;
 *   - sandboxed: the same CLI wrapped by an Isolation, today bubblewrap (bwrap.ts), given the view of the
 *     host that sandbox-mounts.ts computes.
 * A container runtime would be one more Isolation, in a file of its own (see the README, "Sandbox"); a remote host
 * or Kubernetes is a FleetBackend of its own (backend.ts), whose startProcess gets the same prepared argv.
 */
export interface LauncherOptions {
  /** What a sandboxed agent must not see: the token file's folder, the named tokens, the fleet config, the data dir. */
  hidden: readonly string[];
  /** Whether the built-in presets run sandboxed when neither their role nor their project says (where it can). */
  presetsByDefault: boolean;
  isolation: Isolation;
}

/** A way to run an argv with only the given view of the host. */
export interface Isolation {
  /** Named in the task's log: "sandboxed by <name>". */
  name: string;
  /** Null where it can run, with a network of its own when asked; else one line saying what to install or enable. Looked at once. */
  problem(network: boolean): string | null;
  /** The argv, and the network the supervisor gives the sandbox when it has network on. */
  wrap(spec: SandboxSpec, argv: readonly string[]): { argv: string[]; network: UserNetwork | null };
}

export interface LaunchSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  git: GitContext;
  /** `fleet/<name>` in a git project, null otherwise. */
  branch: string | null;
}

export interface PreparedLaunch {
  /** The role as it runs this time: a preset's sandboxed commands and variables when sandboxed. */
  role: Role;
  /** Said in the task's log, e.g. "sandboxed by bwrap, network on, host loopback ports: 5432"; null when not sandboxed. */
  note: string | null;
  /** The argv and environment of the process the supervisor starts, and the network it gives that process. */
  command(spec: LaunchSpec): { argv: string[]; env: Record<string, string>; network?: UserNetwork | null };
}

/** A role asked for the sandbox and it cannot be had: the task must not start, and this says what to fix. */
export class LaunchError extends Error {
  override name = 'LaunchError';
}

export class AgentLauncher {
  constructor(private readonly options: LauncherOptions) {}

  /** Throws LaunchError when the role or its project asks for the sandbox and bwrap cannot give one. */
  prepare(role: Role, project: Project | undefined): PreparedLaunch {
    const wanted = this.wanted(role, project);
    const direct: PreparedLaunch = { role, note: null, command: ({ argv, env }) => ({ argv, env }) };
    if (wanted === 'off') return direct;
    const { isolation } = this.options;
    const { network, ports } = role.sandbox;
    const problem = isolation.problem(network);
    if (problem !== null) {
      if (wanted === 'default') return direct;
      throw new LaunchError(`role "${role.name}"${project?.sandbox ? ` in project "${project.name}"` : ''} runs sandboxed, and ${problem}`);
    }
    const sandboxed = sandboxedRole(role);
    return {
      role: sandboxed,
      note: `sandboxed by ${isolation.name}, ${network ? `network on, host loopback ports: ${ports.length > 0 ? ports.join(', ') : 'none'}` : 'network off'}`,
      command: (spec) => {
        // Its TMPDIR may be in a folder the sandbox hides: the private /tmp is where its temp files go.
        const env = { ...spec.env, ...sandboxed.sandbox.env, TMPDIR: '/tmp' };
        const mounts = sandboxMounts({
          workdir: spec.cwd,
          gitDir: spec.git.git_dir,
          gitCommonDir: spec.git.git_common_dir,
          branch: spec.branch,
          state: role.sandbox.writable,
          env,
          hidden: this.options.hidden,
        });
        return { ...isolation.wrap({ mounts, network, ports, cwd: spec.cwd }, spec.argv), env };
      },
    };
  }

  /** Whether the role's tasks run sandboxed here: a `true` of the role or the project wins over a `false`. */
  private wanted(role: Role, project: Project | undefined): 'required' | 'default' | 'off' {
    if (role.sandbox.enabled === true || project?.sandbox === true) return 'required';
    if (role.sandbox.enabled === false || project?.sandbox === false) return 'off';
    return role.source === 'builtin' && this.options.presetsByDefault ? 'default' : 'off';
  }
}

function sandboxedRole(role: Role): Role {
  const { command, continue_command } = role.sandbox;
  if (command === null) return role;
  return { ...role, command, continue_command };
}
