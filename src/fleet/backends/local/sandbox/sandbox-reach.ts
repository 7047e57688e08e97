import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, relative, sep } from 'node:path';
import { findExecutable } from '../../../executables.js';

export interface ReachOptions {
  /** The PATH the CLI is looked up on, the same outside the sandbox and in. */
  pathEnv: string | undefined;
  /** Folders and files the sandbox does not show (its private /tmp, the server's secrets, the data dir). */
  hidden: readonly string[];
}

/**
 * Why the sandbox cannot start `program`, or null when it can (or when only the task's run can tell: a placeholder,
 * a path relative to the working directory, a program missing on the host too). The sandbox sees the host's files at
 * the same paths but for the hidden ones, so a CLI installed under /tmp, or whose `#!` interpreter (node) is only
 * found there, starts outside and fails inside with exit code 127.
 */
export function sandboxReachProblem(program: string, options: ReachOptions): string | null {
  if (program.includes('{') || (program.includes('/') && !isAbsolute(program))) return null;
  const onHost = findExecutable(program, { pathEnv: options.pathEnv, cwd: '/' });
  if (!onHost) return null;
  const inside = visibleExecutable(program, options);
  if (!inside)
    return `its CLI ${onHost} is under ${hiddenRoot(onHost, options.hidden)}, which the sandbox does not show`;
  const interpreter = shebangProgram(inside);
  if (!interpreter || visibleExecutable(interpreter, options)) return null;
  const found = findExecutable(interpreter, { pathEnv: options.pathEnv, cwd: '/' });
  const where = found
    ? ` only under ${hiddenRoot(found, options.hidden)}, which the sandbox does not show`
    : ' nowhere';
  return `its CLI ${inside} runs "${interpreter}" (its #! line), which is found${where}`;
}

/** The fix that goes with a problem of sandboxReachProblem. */
export function sandboxReachFix(role: string): string {
  return `install it outside the paths the sandbox hides (/tmp, /dev, fleet-mcp's data and config dirs), or set "sandbox": false on role "${role}" in the fleet config`;
}

/** The file the sandbox's execvp would run: the first one on PATH that it can see. */
function visibleExecutable(program: string, options: ReachOptions): string | null {
  const candidates = isAbsolute(program)
    ? [program]
    : (options.pathEnv ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    const file = findExecutable(candidate, { pathEnv: undefined, cwd: '/' });
    if (file && !isHidden(file, options.hidden) && !isHidden(realpath(file), options.hidden)) return file;
  }
  return null;
}

/** The program a `#!` line starts: its interpreter, or what `#!/usr/bin/env [-S] NAME` looks up on PATH. */
function shebangProgram(file: string): string | null {
  const line = firstLine(realpath(file));
  if (!line?.startsWith('#!')) return null;
  const [interpreter, ...args] = line.slice(2).trim().split(/\s+/);
  if (!interpreter) return null;
  if (basename(interpreter) !== 'env') return interpreter;
  return args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? null;
}

function firstLine(file: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(256);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8').split('\n')[0]!;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function realpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function isHidden(file: string, hidden: readonly string[]): boolean {
  return hidden.some((root) => isInside(file, root));
}

function isInside(file: string, root: string): boolean {
  const path = relative(root, file);
  return path === '' || (!path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path));
}

function hiddenRoot(file: string, hidden: readonly string[]): string {
  return hidden.find((root) => isInside(file, root) || isInside(realpath(file), root)) ?? file;
}
