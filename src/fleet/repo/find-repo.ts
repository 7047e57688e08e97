import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { git } from '../review/git.js';

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
