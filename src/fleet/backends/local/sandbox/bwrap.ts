import { spawnSync } from 'node:child_process';
import { findExecutable } from '../../../executables.js';
import type { Isolation } from './launcher.js';
import { installSeccompFilter, seccompFilter } from './seccomp.js';
import { NET_BLOCK_FD, NET_INFO_FD, probeUserNet, userNetwork, type UserNetStatus } from './user-net.js';

/** Whether bubblewrap can run sandboxes here: its path and env's, or the one line that says what to install or enable. */
export type BwrapStatus =
  | { path: string; env: string; problem?: never }
  | { path?: never; env?: never; problem: string };

/**
 * A cancel signals the task's whole process group, bwrap too, and bwrap dies of SIGINT or SIGTERM at once, taking
 * the sandbox with it before the CLI could end its work. So bwrap starts with both ignored and the CLI gets them
 * back (coreutils env; an ignored signal is inherited, a handler is not).
 */
const GRACEFUL_SIGNALS = 'INT,TERM';

/**
 * One change to the read-only view of the host, at the same path inside as outside: `hide` puts an empty folder
 * over a folder or an empty file over a file, `writable` binds it writable, `readable` binds it read-only (to show
 * it through a hidden folder or the private /tmp).
 */
export interface Mount {
  kind: 'hide' | 'writable' | 'readable';
  path: string;
  folder: boolean;
}

export interface SandboxSpec {
  /** In the order bwrap lays them out: a later mount covers what an earlier one shows below its path. */
  mounts: Mount[];
  network: boolean;
  /** Whether the agent may create unix sockets (see seccomp.ts); io_uring stays denied either way. */
  unixSockets: boolean;
  /** The host loopback ports a sandbox with network on may reach. */
  ports: readonly number[];
  cwd: string;
}

/** Where bwrap reads its seccomp filter: the task supervisor opens the filter file there (see inputFiles). */
const FILTER_FD = 3;

/** What the sandbox replaces with its own (sandboxArgs): nothing of the host's under these is seen inside. */
export const BWRAP_PRIVATE_PATHS: readonly string[] = ['/tmp', '/dev', '/proc'];

const INSTALL_HINT =
  'install the bubblewrap package (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)';

/**
 * Looks for bwrap on PATH and starts one empty sandbox with it, so a host where it is missing or where namespaces
 * are not allowed is found before any task relies on it.
 */
export function probeBwrap(pathEnv: string | undefined): BwrapStatus {
  const path = findExecutable('bwrap', { pathEnv, cwd: '/' });
  if (!path) return { problem: `bwrap was not found on PATH: ${INSTALL_HINT}` };
  const env = findExecutable('env', { pathEnv, cwd: '/' });
  if (!env) return { problem: 'env was not found on PATH: install coreutils' };
  const filter = seccompFilter({ arch: process.arch, unixSockets: false });
  if (!filter)
    return {
      problem: `the sandbox's seccomp filter is written for x86_64 and aarch64, not ${process.arch}: run the server on one of those, or give its roles "sandbox": false`,
    };
  // The filter comes on stdin here, so the probe needs no file; a task's comes as a file at FILTER_FD.
  const [command, ...args] = bwrapArgv(
    { path, env },
    { mounts: [], network: false, unixSockets: false, ports: [], cwd: '/' },
    ['true'],
    0,
  );
  const probe = spawnSync(command!, args, { encoding: 'utf8', timeout: 10_000, input: filter });
  if (probe.status === 0) return { path, env };
  if (probe.stderr?.includes('signal'))
    return {
      problem: `${env} cannot set signal handling (${firstLine(probe.stderr)}): install coreutils 8.31 or newer`,
    };
  if (/seccomp/i.test(probe.stderr ?? ''))
    return {
      problem: `${path} cannot load the sandbox's seccomp filter (${firstLine(probe.stderr)}): use a kernel with seccomp filters (CONFIG_SECCOMP_FILTER)`,
    };
  const said = firstLine(probe.stderr || probe.error?.message || `exit code ${probe.status}`);
  return {
    problem: `${path} cannot make a sandbox here (${said}): allow user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu an AppArmor profile for bwrap) or run the server where bwrap works`,
  };
}

/** The argv that runs `argv` inside the sandbox; bwrap reads the seccomp filter from `filterFd` and closes it. */
export function bwrapArgv(
  tools: { path: string; env: string },
  spec: SandboxSpec,
  argv: readonly string[],
  filterFd = FILTER_FD,
): string[] {
  return [
    tools.env,
    `--ignore-signal=${GRACEFUL_SIGNALS}`,
    tools.path,
    ...sandboxArgs(spec),
    '--seccomp',
    String(filterFd),
    '--',
    tools.env,
    `--default-signal=${GRACEFUL_SIGNALS}`,
    ...argv,
  ];
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!;
}

function sandboxArgs(spec: SandboxSpec): string[] {
  return [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    // A /proc of its own PID namespace: no other process, the server's environ included, is there to read.
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    ...spec.mounts.flatMap(mountArgs),
    // Once the binds inside them are made: an empty folder the agent could fill would pass for the real one inside.
    ...spec.mounts
      .filter(({ kind, folder }) => kind === 'hide' && folder)
      .flatMap(({ path }) => ['--remount-ro', path]),
    // The CLI is pid 2 under bwrap's own init: when it exits, the namespace and every process left in it end.
    '--unshare-pid',
    '--unshare-ipc',
    // Always a network of its own: with network on, the supervisor attaches pasta to it before the CLI starts.
    '--unshare-net',
    ...(spec.network ? ['--info-fd', String(NET_INFO_FD), '--block-fd', String(NET_BLOCK_FD)] : []),
    '--die-with-parent',
    // As root bwrap keeps every capability, with which the agent could remount / read-write.
    '--cap-drop',
    'ALL',
    '--chdir',
    spec.cwd,
    // No --new-session: the sandbox stays in the task's process group, so a cancel's signals reach the CLI.
  ];
}

function mountArgs({ kind, path, folder }: Mount): string[] {
  if (kind === 'writable') return ['--bind', path, path];
  if (kind === 'readable') return ['--ro-bind', path, path];
  return folder ? ['--tmpfs', path] : ['--ro-bind', '/dev/null', path];
}

/**
 * bubblewrap as the sandbox, with pasta for a network, each probed on the agents' PATH when first needed unless its
 * state is known already; its seccomp filter is kept in `filterDir`, which the sandbox hides.
 */
export function bwrapIsolation(
  known: BwrapStatus | undefined,
  pathEnv: string | undefined,
  filterDir: string,
  knownNet?: UserNetStatus,
): Isolation {
  let status = known;
  let netStatus = knownNet;
  const probed = (): BwrapStatus => (status ??= probeBwrap(pathEnv));
  const netProbed = (): UserNetStatus => (netStatus ??= probeUserNet(pathEnv));
  return {
    name: 'bwrap',
    privatePaths: BWRAP_PRIVATE_PATHS,
    problem: (network) => probed().problem ?? (network ? netProbed().problem : null) ?? null,
    wrap: (spec, argv) => {
      const { path, env } = probed();
      const network = spec.network ? userNetwork({ pasta: netProbed().path!, env: env! }, spec.ports) : null;
      return { argv: bwrapArgv({ path: path!, env: env! }, spec, argv), network };
    },
    // Not null: the probe refused a CPU the filter does not know.
    inputFiles: (spec) => [installSeccompFilter(filterDir, { arch: process.arch, unixSockets: spec.unixSockets })!],
  };
}
