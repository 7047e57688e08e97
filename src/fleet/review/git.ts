import { execFile, spawn } from 'node:child_process';
import { childEnv } from '../child-env.js';
import { GitError } from '../worktrees.js';

export interface GitRunOptions {
  /** Extra variables, e.g. GIT_INDEX_FILE for a scratch index or GIT_AUTHOR_* for a replayed commit. */
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-tree` means "conflicts"). */
  okCodes?: number[];
}

export interface GitRun {
  stdout: string;
  code: number;
}

/** A generous bound so a git that waits on something it will never get (a lock, a prompt) cannot hang a tool call. */
const TIMEOUT_MS = 10 * 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

/**
 * Runs git without a shell. git runs the repository's hooks and filter drivers, which agents can write through
 * their worktrees, so it gets an agent's environment: never the server's token or settings. It never prompts:
 * there is no terminal to answer.
 */
export function runGit(cwd: string, args: string[], options: GitRunOptions = {}): Promise<GitRun> {
  const env = { ...childEnv(process.env, options.env ?? {}), GIT_TERMINAL_PROMPT: '0' };
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env, encoding: 'utf8', maxBuffer: MAX_BUFFER, timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      if (code === 0 || (options.okCodes ?? []).includes(code)) resolve({ stdout, code });
      else reject(new GitError(`git ${args.join(' ')} failed: ${stderr.trim() || (error?.message ?? '')}`));
    });
  });
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
export function streamGit(cwd: string, args: string[], onChunk: (chunk: Buffer) => void, options: GitRunOptions = {}): Promise<void> {
  const env = { ...childEnv(process.env, options.env ?? {}), GIT_TERMINAL_PROMPT: '0' };
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let stderr = '';
    child.stdout.on('data', onChunk);
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => reject(new GitError(`git ${args.join(' ')} failed: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new GitError(`git ${args.join(' ')} failed: ${stderr.trim() || `exit code ${String(code)}`}`));
    });
  });
}

/**
 * Config that lets fleet-mcp commit where nobody has set an identity (a fresh server account): each of user.name
 * and user.email is supplied only when the repository's own config lacks it, so a configured identity always wins.
 */
export async function fallbackIdentityArgs(cwd: string): Promise<string[]> {
  const args: string[] = [];
  if (!(await configValue(cwd, 'user.name'))) args.push('-c', 'user.name=fleet-mcp');
  if (!(await configValue(cwd, 'user.email'))) args.push('-c', 'user.email=fleet-mcp@localhost');
  return args;
}

async function configValue(cwd: string, key: string): Promise<string> {
  return (await runGit(cwd, ['config', '--get', key], { okCodes: [1] })).stdout.trim();
}

/**
 * fleet-mcp's own bookkeeping commands run no hooks: nobody is at a terminal to answer one, a hook that waits or
 * fails would leave work uncommitted or a merge half-done, and hooks are code agents can write.
 */
export const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];
