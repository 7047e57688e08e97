import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { git, runGit } from '../review/git.js';

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

/**
 * Where the project sits in a git repository, or null when it is not in one (or git is not installed). Only for the
 * user's own folders: an agent's repository is never read by the server's git outside the agent's place.
 */
export async function findRepo(projectDir: string): Promise<RepoLocation | null> {
  try {
    return repoLocation((await git(projectDir, ['rev-parse', ...LOCATION_ARGS])).split('\n'));
  } catch {
    return null;
  }
}

/** HEAD's commit and full ref (`refs/heads/main`, or `HEAD` itself when detached). */
export interface RepoHead {
  commit: string;
  fullRef: string;
}

/**
 * findRepo, and the HEAD of the checkout holding the project (null when it names no commit yet), in one git run
 * where there is a commit.
 */
export async function findRepoAndHead(
  projectDir: string,
): Promise<{ repo: RepoLocation; head: RepoHead | null } | null> {
  try {
    // 128: HEAD names no commit (or this is no repository), which findRepo alone then tells apart.
    const args = ['rev-parse', ...LOCATION_ARGS, 'HEAD^{commit}', '--symbolic-full-name', 'HEAD'];
    const { stdout, code } = await runGit(projectDir, args, { okCodes: [128] });
    if (code !== 0) {
      const repo = await findRepo(projectDir);
      return repo && { repo, head: null };
    }
    const lines = stdout.split('\n');
    return { repo: repoLocation(lines), head: { commit: lines[3] ?? '', fullRef: lines[4] ?? '' } };
  } catch {
    return null;
  }
}

const LOCATION_ARGS = ['--show-toplevel', '--show-prefix', '--absolute-git-dir'];

/** The location from the first three lines `git rev-parse` prints for LOCATION_ARGS. */
function repoLocation([root = '', prefix = '', absoluteGitDir = '']: string[]): RepoLocation {
  const gitDir = realpathSync(absoluteGitDir);
  return { root, prefix: prefix.replace(/\/$/, ''), commonDir: commonGitDir(gitDir), gitDir };
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
