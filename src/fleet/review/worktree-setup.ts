import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { childEnv } from '../child-env.js';
import { FleetError } from '../errors.js';
import { LineSplitter } from '../logs/line-splitter.js';
import { signalGroup } from '../tasks/process-group.js';
import type { GitPlace } from './git.js';

export interface CopyResult {
  copied: string[];
  /** Listed files the main checkout does not have (e.g. no .env yet); the caller decides whether that matters. */
  missing: string[];
}

/**
 * Copies files the new worktree needs but git does not carry (a git-ignored `.env`, local config) from the main
 * checkout. Paths are relative to the checkout; a path that is absolute, climbs out with `..`, resolves through a
 * symlink to outside the checkout, is not a regular file, or would be written through a symlink in the worktree
 * is refused, so the list cannot be used to read or write anywhere else.
 */
export function copySetupFiles(options: { from: string; to: string; files: string[] }): CopyResult {
  for (const file of options.files) checkRelative(file);
  const fromRoot = realpathSync(options.from);
  const toRoot = realpathSync(options.to);
  const result: CopyResult = { copied: [], missing: [] };
  for (const file of options.files) {
    const source = join(fromRoot, file);
    if (!existsSync(source)) {
      result.missing.push(file);
      continue;
    }
    copyFileSync(checkedSource(file, source, fromRoot), checkedDestination(file, join(toRoot, file), toRoot));
    result.copied.push(file);
  }
  return result;
}

function checkRelative(file: string): void {
  if (file === '' || isAbsolute(file) || file.split(/[\\/]/).includes('..')) {
    throw new FleetError(
      'invalid_argument',
      `setup file "${file}" must be a path relative to the project's checkout, without ".."`,
    );
  }
}

function checkedSource(file: string, source: string, fromRoot: string): string {
  const real = realpathSync(source);
  if (!isInside(real, fromRoot))
    throw new FleetError('invalid_argument', `setup file "${file}" is a symlink to ${real}, outside the checkout`);
  if (!statSync(real).isFile())
    throw new FleetError(
      'invalid_argument',
      `setup file "${file}" is not a regular file; list the files inside it one by one`,
    );
  return real;
}

function checkedDestination(file: string, destination: string, toRoot: string): string {
  mkdirSync(dirname(destination), { recursive: true });
  if (!isInside(realpathSync(dirname(destination)), toRoot)) {
    throw new FleetError(
      'invalid_argument',
      `setup file "${file}" would be written outside the worktree, through a symlinked folder`,
    );
  }
  if (existsSync(destination) && lstatSync(destination).isSymbolicLink()) {
    throw new FleetError(
      'invalid_argument',
      `setup file "${file}" is a symlink in the worktree; it is not overwritten`,
    );
  }
  return destination;
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root + sep);
}

export interface SetupCommandOptions {
  argv: string[];
  cwd: string;
  timeoutMs: number;
  /** The role's variables; the rest of the environment is an agent's (the server's own settings removed). */
  env?: Record<string, string>;
  /** Each output line as it comes, with the stream it came on, e.g. into the agent's log. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Where it runs, e.g. in an agent's sandbox; left out, as the server's user. */
  place?: GitPlace;
  /** What it is called in messages. */
  what?: string;
}

export type SetupCommandResult =
  | { ok: true; lines: string[] }
  | { ok: false; exitCode: number | null; signal: string | null; timedOut: boolean; lines: string[]; message: string };

/** Output lines kept for the result (the last ones, where a failure's reason usually is); onLine sees them all. */
const KEPT_LINES = 200;

/**
 * Runs the project's setup command in the new worktree: argv without a shell, no stdin (nothing can wait for an
 * answer), and a timeout after which its whole process group is killed, so nothing it started lingers.
 */
export function runSetupCommand(options: SetupCommandOptions): Promise<SetupCommandResult> {
  if (options.argv.length === 0)
    throw new FleetError('invalid_argument', 'setup command is empty: give it as an argv list, e.g. ["npm", "ci"]');
  const base = childEnv(process.env, options.env ?? {});
  const {
    argv,
    env,
    inputFiles = [],
  } = options.place ? options.place(options.argv, base, options.cwd) : { argv: options.argv, env: base };
  const [command, ...args] = argv as [string, ...string[]];
  const lines: string[] = [];
  const take = (line: string, stream: 'stdout' | 'stderr') => {
    options.onLine?.(line, stream);
    lines.push(line);
    if (lines.length > KEPT_LINES) lines.shift();
  };
  return new Promise((resolve) => {
    const inputs = inputFiles.map((file) => openSync(file, 'r'));
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      // detached: its own process group, so the timeout can kill everything it started.
      child = spawn(command, args, {
        cwd: options.cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe', ...inputs],
        detached: true,
      }) as ChildProcessByStdio<null, Readable, Readable>;
    } finally {
      for (const fd of inputs) closeSync(fd);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs);
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      const splitter = new LineSplitter();
      stream.on('data', (chunk: Buffer) => {
        for (const line of splitter.push(chunk)) take(line, name);
      });
      stream.on('end', () => {
        for (const line of splitter.end()) take(line, name);
      });
    }
    const finish = (exitCode: number | null, signal: string | null, spawnError?: string) => {
      clearTimeout(timer);
      if (exitCode === 0 && !timedOut) return resolve({ ok: true, lines });
      const message = spawnError ?? failureMessage(options, timedOut, exitCode, signal);
      resolve({ ok: false, exitCode, signal, timedOut, lines, message });
    };
    child.on('error', (error) =>
      finish(null, null, `${options.what ?? 'setup command'} "${options.argv[0]}" could not start: ${error.message}`),
    );
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function failureMessage(
  options: SetupCommandOptions,
  timedOut: boolean,
  exitCode: number | null,
  signal: string | null,
): string {
  const what = `${options.what ?? 'setup command'} "${options.argv.join(' ')}"`;
  if (timedOut) return `${what} did not finish within ${options.timeoutMs} ms and was killed`;
  return `${what} failed with ${signal === null ? `exit code ${String(exitCode)}` : `signal ${signal}`}`;
}
