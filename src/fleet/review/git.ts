import { childEnv } from '../child-env.js';
import { startProcess } from '../spawn/start-process.js';

/**
 * Where a git command runs: wraps its argv, e.g. into the sandbox of the agent whose repository it reads, and gives
 * the environment to run it with.
 */
export type GitPlace = (argv: string[], env: Record<string, string>, cwd?: string) => PlacedCommand;

/** An argv to run, its environment, and files it reads at fd 3, 4, … (e.g. a sandbox's seccomp filter). */
export interface PlacedCommand {
  argv: string[];
  env: Record<string, string>;
  inputFiles?: string[];
}

export interface GitRunOptions {
  /** Extra variables, e.g. GIT_INDEX_FILE for a scratch index or GIT_AUTHOR_* for a replayed commit. */
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-tree` means "conflicts"). */
  okCodes?: number[];
  /** Left out: on the server, as its user. */
  place?: GitPlace;
}

/** A git failure with git's own words, which are what a caller needs to fix it. */
export class GitError extends Error {
  override name = 'GitError';
}

export interface GitRun {
  stdout: string;
  code: number;
}

/** A generous bound so a git that waits on something it will never get (a lock, a prompt) cannot hang a tool call. */
const TIMEOUT_MS = 10 * 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

/**
 * Before every git command fleet-mcp runs. No hook runs, the repository's `core.hooksPath` (e.g. `.husky`, whose
 * files a merged branch brings) included: nobody is at a terminal to answer one, and a hook that waits or fails would
 * leave a commit or merge half-done. No fsmonitor, no submodule recursion (a nested repository's config is the
 * agent's), and no transport but the local one fleet-mcp fetches agents' work with.
 */
export const HARDENED = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'submodule.recurse=false',
  '-c',
  'diff.ignoreSubmodules=all',
  '-c',
  'protocol.allow=never',
];

/** What runs: git's argv, hardened, and its environment, never the server's token or settings; it never prompts. */
function gitCommand(args: string[], options: GitRunOptions, cwd: string): PlacedCommand {
  const env = { ...childEnv(process.env, options.env ?? {}), GIT_TERMINAL_PROMPT: '0', GIT_NO_REPLACE_OBJECTS: '1' };
  const argv = ['git', ...HARDENED, ...args];
  return options.place ? options.place(argv, env, cwd) : { argv, env };
}

/** Runs git without a shell, where `options.place` says. */
export async function runGit(cwd: string, args: string[], options: GitRunOptions = {}): Promise<GitRun> {
  const chunks: Buffer[] = [];
  let size = 0;
  const code = await spawnGit(cwd, args, options, (chunk) => {
    size += chunk.length;
    if (size > MAX_BUFFER) throw new GitError(`git ${args.join(' ')} printed more than ${MAX_BUFFER} bytes`);
    chunks.push(chunk);
  });
  return { stdout: Buffer.concat(chunks).toString('utf8'), code };
}

/** git's output with the trailing newline removed; throws GitError on any failure. */
export async function git(cwd: string, args: string[], options: GitRunOptions = {}): Promise<string> {
  return (await runGit(cwd, args, options)).stdout.replace(/\n$/, '');
}

/** NUL-separated output (`-z`) as its fields, without the empty field after the last NUL. */
export function splitNul(output: string): string[] {
  const fields = output.split('\0');
  if (fields.at(-1) === '') fields.pop();
  return fields;
}

/**
 * Streams git's output chunk by chunk, for output too large to hold (a huge diff); only what `onChunk` keeps stays
 * in memory.
 */
export async function streamGit(
  cwd: string,
  args: string[],
  onChunk: (chunk: Buffer) => void,
  options: GitRunOptions = {},
): Promise<void> {
  await spawnGit(cwd, args, { ...options, okCodes: [] }, onChunk);
}

/**
 * bwrap's own failure to lay out a sandbox because a mount of the host went away while it copied the mount table
 * read-only (a container stopping on the same host): git never ran, so it is run again.
 */
const VANISHED_MOUNT = /^bwrap: Can't bind mount .*: No such file or directory/;
const VANISHED_MOUNT_ATTEMPTS = 3;

class VanishedMountError extends GitError {}

/** Starts git where its options say, with its input files at fd 3, 4, …; resolves with an exit code that is an answer. */
async function spawnGit(
  cwd: string,
  args: string[],
  options: GitRunOptions,
  onChunk: (chunk: Buffer) => void,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnGitOnce(cwd, args, options, onChunk);
    } catch (error) {
      if (!(error instanceof VanishedMountError) || attempt === VANISHED_MOUNT_ATTEMPTS) throw error;
    }
  }
}

function spawnGitOnce(
  cwd: string,
  args: string[],
  options: GitRunOptions,
  onChunk: (chunk: Buffer) => void,
): Promise<number> {
  const { argv, env, inputFiles = [] } = gitCommand(args, options, cwd);
  const fail = (why: string) => new GitError(`git ${args.join(' ')} failed: ${why}`);
  return new Promise((resolve, reject) => {
    let stderr = '';
    let printed = false;
    const child = startProcess(
      { argv, cwd, env, inputFiles, timeoutMs: TIMEOUT_MS },
      {
        stdout: (chunk) => {
          printed = true;
          try {
            onChunk(chunk);
          } catch (error) {
            child.kill();
            reject(error as Error);
          }
        },
        stderr: (chunk) => {
          if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
        },
      },
    );
    child.ended.then(
      ({ code, signal }) => {
        if (code === 0 || (code !== null && (options.okCodes ?? []).includes(code))) resolve(code);
        else if (options.place && !printed && VANISHED_MOUNT.test(stderr.trim()))
          reject(new VanishedMountError(`git ${args.join(' ')} failed: ${stderr.trim()}`));
        else reject(fail(stderr.trim() || (signal ? `signal ${signal}` : `exit code ${String(code)}`)));
      },
      (error: Error) => reject(fail(error.message)),
    );
  });
}

/**
 * Config that lets fleet-mcp commit where nobody has set an identity (a fresh server account): each of user.name
 * and user.email is supplied only when the repository's own config lacks it, so a configured identity always wins.
 */
export async function fallbackIdentityArgs(cwd: string, place?: GitPlace): Promise<string[]> {
  const args: string[] = [];
  if (!(await configValue(cwd, 'user.name', place))) args.push('-c', 'user.name=fleet-mcp');
  if (!(await configValue(cwd, 'user.email', place))) args.push('-c', 'user.email=fleet-mcp@localhost');
  return args;
}

async function configValue(cwd: string, key: string, place?: GitPlace): Promise<string> {
  return (await runGit(cwd, ['config', '--get', key], { okCodes: [1], place })).stdout.trim();
}
