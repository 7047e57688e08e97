import { fallbackIdentityArgs, git, NO_HOOKS, runGit, splitNul } from './git.js';
import { hasUncommitted, uncommittedFiles } from './status.js';

export interface LeftoverCommit {
  sha: string;
  subject: string;
  files: string[];
}

/**
 * Commits everything the agent left uncommitted in its worktree (untracked files too; .gitignore is respected), so
 * no later step (a delete, a new task) can lose it. Returns null when there was nothing to commit.
 *
 * Hooks are not run (`core.hooksPath=/dev/null`, which also covers what `--no-verify` does not: prepare-commit-msg,
 * post-commit): this commit happens unattended after a task, and a hook that fails, waits for input or reformats
 * files would leave exactly the work it exists to save uncommitted. Signing is off for the same reason: a signing
 * key that asks for a passphrase has nobody to ask. The agent's own commits are untouched by either.
 */
export async function commitLeftovers(options: { worktree: string; message: string }): Promise<LeftoverCommit | null> {
  const { worktree, message } = options;
  if (!hasUncommitted(await uncommittedFiles(worktree))) return null;
  await git(worktree, ['add', '-A']);
  // Status can list what `add` cannot stage (a submodule's own dirt): then there is nothing to commit here.
  if ((await runGit(worktree, ['diff', '--cached', '--quiet', 'HEAD'], { okCodes: [1] })).code === 0) return null;
  const identity = await fallbackIdentityArgs(worktree);
  await git(worktree, [...NO_HOOKS, ...identity, 'commit', '--quiet', '--no-gpg-sign', '--allow-empty-message', '-m', message]);
  const sha = await git(worktree, ['rev-parse', 'HEAD']);
  const subject = await git(worktree, ['log', '-1', '--format=%s', sha]);
  const files = splitNul(await git(worktree, ['diff-tree', '--root', '--no-commit-id', '--name-only', '-r', '-z', '--no-renames', sha]));
  return { sha, subject, files };
}
