import type { GitContext } from '../../../backend.js';
import type { PlacedCommand } from '../../../review/git.js';
import type { Project } from '../../../projects.js';
import type { Role } from '../../../types.js';
import type { SandboxSpec } from './bwrap.js';
import { sandboxMounts } from './sandbox-mounts.js';
import { sandboxReachFix, sandboxReachProblem } from './sandbox-reach.js';
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
  /** The agents' PATH, where a sandboxed role's CLI must be found at a path the sandbox shows. */
  pathEnv?: string;
}

/** A way to run an argv with only the given view of the host. */
export interface Isolation {
  /** Named in the task's log: "sandboxed by <name>". */
  name: string;
  /** Paths it replaces with its own, empty ones (a private /tmp): a program of the host's there is not seen inside. */
  privatePaths: readonly string[];
  /** Null where it can run, with a network of its own when asked; else one line saying what to install or enable. Looked at once. */
  problem(network: boolean): string | null;
  /** The argv, and the network the supervisor gives the sandbox when it has network on. */
  wrap(spec: SandboxSpec, argv: readonly string[]): { argv: string[]; network: UserNetwork | null };
  /** Files the wrapped argv reads at fd 3, 4, … (bwrap's seccomp filter), opened for it by the task supervisor. */
  inputFiles(spec: SandboxSpec): string[];
}

export interface LaunchSpec {
  argv: string[];
  cwd: string;
  /** The agent's working directory, writable in a sandbox; `cwd` when left out. */
  workdir?: string;
  env: Record<string, string>;
  git: GitContext;
}

export interface PreparedLaunch {
  /** The role as it runs this time: a preset's sandboxed commands and variables when sandboxed. */
  role: Role;
  /** Said in the task's log, e.g. "sandboxed by bwrap, network on, host loopback ports: 5432"; null when not sandboxed. */
  note: string | null;
  /** The argv and environment of the process the supervisor starts, the files it gets at fd 3, 4, …, and its network. */
  command(spec: LaunchSpec): PlacedCommand & { network?: UserNetwork | null };
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
    const { network, ports, unix_sockets: unixSockets } = role.sandbox;
    if (
      !this.sandboxAvailable(
        wanted,
        `role "${role.name}"${project?.sandbox ? ` in project "${project.name}"` : ''}`,
        network,
      )
    )
      return direct;
    const sandboxed = sandboxedRole(role);
    this.assertReachable(sandboxed);
    const access = `${network ? `network on, host loopback ports: ${ports.length > 0 ? ports.join(', ') : 'none'}` : 'network off'}`;
    return {
      role: sandboxed,
      note: `sandboxed by ${this.options.isolation.name}, ${access}${unixSockets ? ', unix sockets allowed' : ''}`,
      // Its TMPDIR may be in a folder the sandbox hides: the private /tmp is where its temp files go.
      command: (spec) =>
        this.sandboxed(spec, { ...spec.env, ...sandboxed.sandbox.env, TMPDIR: '/tmp' }, role.sandbox.writable, {
          network,
          ports,
          unixSockets,
        }),
    };
  }

  /** Why the role's tasks cannot start in the project (the LaunchError they would end with), or null when they can. */
  problem(role: Role, project: Project | undefined): string | null {
    try {
      this.prepare(role, project);
      return null;
    } catch (error) {
      if (error instanceof LaunchError) return error.message;
      throw error;
    }
  }

  /**
   * How the server's own commands on an agent's repository run (git status, diff, commit of leftovers): where the
   * agent's tasks run, so whatever the agent wrote in its repository (config, hooks, fsmonitor, filters) can do no
   * more than the agent could; network off. An agent whose role is gone is sandboxed wherever the sandbox works.
   * Throws LaunchError when the agent runs sandboxed and the sandbox cannot be had.
   */
  placeOfRepository(
    role: Role | null,
    project: Project | undefined,
    ranSandboxed: boolean,
  ): (spec: LaunchSpec) => PlacedCommand {
    const orphan = this.options.isolation.problem(false) === null ? 'required' : 'off';
    // What a sandboxed task wrote is never read outside a sandbox, whatever has changed since.
    const wanted = ranSandboxed ? 'required' : role === null ? orphan : this.wanted(role, project);
    if (!this.sandboxAvailable(wanted, `role "${role?.name}"`, false)) return ({ argv, env }) => ({ argv, env });
    return (spec) =>
      this.sandboxed(spec, { ...spec.env, TMPDIR: '/tmp' }, [], { network: false, ports: [], unixSockets: false });
  }

  /** A CLI the sandbox cannot see would end its task with a bare exit code 127: the task is not started, and this says why. */
  private assertReachable(role: Role): void {
    const hidden = [...this.options.isolation.privatePaths, ...this.options.hidden];
    const pathEnv = role.env.PATH ?? this.options.pathEnv;
    for (const argv of [role.command, role.continue_command]) {
      const problem = argv?.[0] === undefined ? null : sandboxReachProblem(argv[0], { pathEnv, hidden });
      if (problem)
        throw new LaunchError(`role "${role.name}" runs sandboxed, and ${problem}: ${sandboxReachFix(role.name)}`);
    }
  }

  /** Whether to sandbox: false when not wanted, or wanted only by default where the sandbox cannot be had. */
  private sandboxAvailable(wanted: 'required' | 'default' | 'off', who: string, network: boolean): boolean {
    if (wanted === 'off') return false;
    const problem = this.options.isolation.problem(network);
    if (problem === null) return true;
    if (wanted === 'default') return false;
    throw new LaunchError(`${who} runs sandboxed, and ${problem}`);
  }

  private sandboxed(
    spec: LaunchSpec,
    env: Record<string, string>,
    state: readonly string[],
    access: Omit<SandboxSpec, 'mounts' | 'cwd'>,
  ) {
    const mounts = sandboxMounts({
      workdir: spec.workdir ?? spec.cwd,
      gitDir: spec.git.git_dir,
      sourceGitDir: spec.git.source_git_dir,
      state,
      env,
      hidden: this.options.hidden,
    });
    const sandbox = { mounts, ...access, cwd: spec.cwd };
    const { isolation } = this.options;
    return { ...isolation.wrap(sandbox, spec.argv), env, inputFiles: isolation.inputFiles(sandbox) };
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
