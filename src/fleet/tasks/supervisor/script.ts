import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../config-error.js';
import { writeFileAtomicSync } from '../../../fs/atomic-file.js';
import { findExecutable } from '../../executables.js';
import { SUPERVISOR_SH } from './supervisor-sh.js';

/**
 * The task supervisor: the first process of a task's group, it runs the agent CLI with its output going straight
 * to files and records the CLI's exit status in a file when it ends. Nothing ties it to the server, so a task lives
 * on through a restart, a crash or an upgrade of the server, and its outcome is known even if no server watched it
 * end. A sh script in the data dir, the same for the npm package and a single executable.
 */
export const SUPERVISOR_SOURCE = SUPERVISOR_SH;

/**
 * The supervisor script in the data dir, the dash that runs it, the PATH of its helpers, and the coreutils env it
 * starts the CLI through.
 */
export interface TaskSupervisor {
  script: string;
  shell: string;
  tools: string;
  env: string;
}

/**
 * Installs the supervisor in the data dir and finds what it runs on; throws with the fix if one is missing. dash,
 * not whatever /bin/sh is: the script reads how the CLI ended from dash's job table, which bash (the /bin/sh of some
 * systems) empties as soon as `wait` returns.
 */
export function taskSupervisor(dataDir: string): TaskSupervisor {
  const tools = ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(':').filter((dir) => dir.startsWith('/'))].join(
    ':',
  );
  const shell = findExecutable('dash', { pathEnv: tools, cwd: '/' });
  if (!shell)
    throw new ConfigError(
      `dash was not found on ${tools}: agents' tasks are supervised by a dash script; install dash (apt install dash, dnf install dash)`,
    );
  const env = findExecutable('env', { pathEnv: tools, cwd: '/' });
  if (!env) throw new ConfigError(`env was not found on ${tools} (agents are started through it): install coreutils`);
  return { script: installSupervisor(dataDir), shell, tools, env };
}

/** Puts the supervisor script in the data dir (rewritten only when it changed) and returns its path. */
export function installSupervisor(dataDir: string): string {
  const file = join(dataDir, 'task-supervisor.sh');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== SUPERVISOR_SOURCE)
    writeFileAtomicSync(file, SUPERVISOR_SOURCE);
  return file;
}

/** What one task's supervisor is told: where its files are, what to run, and the network to give the sandbox. */
export interface SupervisorSpec {
  exit: string;
  stdout: string;
  stderr: string;
  /** Opened read-only for the argv at fd 3, 4, … (bwrap reads its seccomp filter there); at most 5 (9 is stdin's). */
  inputs: string[];
  /** pasta's argv and the file it writes once the network is up, for a sandbox with network on. */
  net?: { argv: string[]; ready: string };
  /** The CLI's stdin as a FIFO the supervisor makes at `fifo`, its first line read from the file `first`. */
  stdin?: { fifo: string; first: string };
  argv: string[];
}

const MAX_INPUTS = 5;

/** The command line that starts the supervisor for one task. */
export function supervisorArgv(supervisor: TaskSupervisor, spec: SupervisorSpec): string[] {
  if (spec.inputs.length > MAX_INPUTS) throw new Error(`at most ${MAX_INPUTS} input files (got ${spec.inputs.length})`);
  return [
    supervisor.shell,
    supervisor.script,
    spec.exit,
    spec.stdout,
    spec.stderr,
    supervisor.tools,
    supervisor.env,
    String(spec.inputs.length),
    ...spec.inputs,
    spec.net?.ready ?? '',
    spec.net ? spec.net.argv.map(shellQuote).join(' ') : '',
    spec.stdin?.fifo ?? '',
    spec.stdin?.first ?? '',
    '--',
    ...spec.argv,
  ];
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
