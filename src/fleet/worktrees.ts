import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from './child-env.js';

const execFileAsync = promisify(execFile);

/** A git failure with git's own words, which are what a caller needs to fix it. */
export class GitError extends Error {
  override name = 'GitError';
}

/**
 * git runs the repository's hooks and filter drivers, which agents can write through their worktrees, so it gets
 * an agent's environment: never the server's token or settings.
 */
export async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const env = childEnv(process.env, {});
    const { stdout } = await execFileAsync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new GitError(`git ${args.join(' ')} failed: ${(stderr ?? '').trim() || message}`);
  }
}

export interface RepoLocation {
  /** Top directory of the repository holding the project. */
  root: string;
  /** The project's directory relative to that root ('' when the project is the root). */
  prefix: string;
  /** The repository's common git dir (`<repo>/.git`), shared by all its worktrees. */
  commonDir: string;
  /** The git dir of the checkout holding the directory: `<repo>/.git`, or `<repo>/.git/worktrees/<name>` in a linked worktree. */
  gitDir: string;
}

/** Where the project sits in a git repository, or null when it is not in one (or git is not installed). */
export async function findRepo(projectDir: string): Promise<RepoLocation | null> {
  try {
    const output = await git(projectDir, ['rev-parse', '--show-toplevel', '--show-prefix', '--absolute-git-dir']);
    const [root = '', prefix = '', absoluteGitDir = ''] = output.split('\n');
    const gitDir = realpathSync(absoluteGitDir);
    return { root, prefix: prefix.replace(/\/$/, ''), commonDir: commonGitDir(gitDir), gitDir };
  } catch {
    return null;
  }
}

/**
 * A linked worktree's git dir names the shared one in its `commondir` file, as git itself reads it; this also works
 * with git older than 2.31, which cannot print the common dir as an absolute path.
 */
function commonGitDir(gitDir: string): string {
  try {
    return realpathSync(resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim()));
  } catch {
    return gitDir;
  }
}

export interface WorktreeOptions {
  repoRoot: string;
  path: string;
  branch: string;
  /** The commit a new branch starts at; the repository's HEAD when left out. */
  startPoint?: string;
}

/**
 * Makes `path` a worktree on `branch`: a new branch from `startPoint` (or the repository's HEAD), or the existing
 * branch (kept from an earlier agent of the same name). A worktree already in place, e.g. after a crash mid-create,
 * is reused.
 */
export async function ensureWorktree(options: WorktreeOptions): Promise<{ created: boolean }> {
  if (await isWorktreeOf(options)) return { created: false };
  // A worktree whose directory was removed is still registered, its branch still "checked out" there: git refuses
  // to add it again until the stale entry is pruned.
  if (!existsSync(options.path)) await git(options.repoRoot, ['worktree', 'prune']);
  const exists = await branchExists(options.repoRoot, options.branch);
  const args = exists
    ? ['worktree', 'add', options.path, options.branch]
    : ['worktree', 'add', '-b', options.branch, options.path, ...(options.startPoint ? [options.startPoint] : [])];
  await git(options.repoRoot, args);
  return { created: true };
}

async function isWorktreeOf(options: WorktreeOptions): Promise<boolean> {
  if (!existsSync(options.path)) return false;
  const location = await findRepo(options.path);
  return location !== null && location.prefix === '' && location.root === realpathSync(options.path);
}

async function branchExists(repoRoot: string, branch: string): Promise<boolean> {
  try {
    await git(repoRoot, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the worktree directory (uncommitted changes in it are lost; commits stay on its branch) and git's record
 * of it. A directory git no longer knows is removed all the same.
 */
export async function removeWorktree(options: { repoRoot: string; path: string }): Promise<void> {
  try {
    await git(options.repoRoot, ['worktree', 'remove', '--force', '--force', options.path]);
  } catch {
    rmSync(options.path, { recursive: true, force: true });
    await git(options.repoRoot, ['worktree', 'prune']);
  }
}

/** The directory an agent works in: its worktree, at the same place inside the repository as the project. */
export function worktreeWorkdir(worktreePath: string, prefix: string): string {
  return prefix === '' ? worktreePath : join(worktreePath, prefix);
}
