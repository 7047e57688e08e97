import { FleetError } from '../errors.js';
import { fallbackIdentityArgs, git, runGit, type GitPlace } from './git.js';
import { hasUncommitted, uncommittedFiles } from './status.js';

export interface LeftoverCommit {
  sha: string;
  subject: string;
  files: string[];
}

export interface LeftoversOptions {
  agentName: string;
  /** The agent's own repository. */
  repo: string;
  /** `fleet/<name>`: the only branch fleet-mcp commits on. */
  branch: string;
  message: string;
  /** Where git runs on the agent's repository: the agent's sandbox when it runs in one. */
  place?: GitPlace;
}

/**
 * Commits everything the agent left uncommitted in its repository (untracked files too; .gitignore is respected)
 * on its branch, so no later step (a delete, a new task) can lose it. Returns whether it committed; the caller
 * fetches the branch and reads the commit from there, never from what the agent's repository says.
 *
 * It runs in the agent's place (see GitPlace): the repository's config and hooks are the agent's. Hooks are off
 * all the same (an unattended commit that a hook fails, or that waits for input, would leave the work it exists to
 * save uncommitted), and so is signing (a key that asks for a passphrase has nobody to ask).
 */
export async function commitLeftovers(options: LeftoversOptions): Promise<boolean> {
  const { repo, place } = options;
  const head = (await runGit(repo, ['symbolic-ref', '--quiet', 'HEAD'], { okCodes: [1, 128], place })).stdout.trim();
  const expected = `refs/heads/${options.branch}`;
  if (!hasUncommitted(await uncommittedFiles(repo, { place }))) return false;
  if (head !== expected) {
    const where = head === '' ? 'a detached commit' : head;
    throw new FleetError(
      'conflict',
      `agent "${options.agentName}" pointed its HEAD at ${where} instead of ${expected}; nothing was committed`,
    );
  }
  await git(repo, ['add', '-A'], { place });
  // Status can list what `add` cannot stage (a nested repository's own dirt): then there is nothing to commit here.
  if ((await runGit(repo, ['diff', '--cached', '--quiet', 'HEAD'], { okCodes: [1], place })).code === 0) return false;
  const identity = await fallbackIdentityArgs(repo, place);
  await git(
    repo,
    [...identity, 'commit', '--quiet', '--no-verify', '--no-gpg-sign', '--allow-empty-message', '-m', options.message],
    { place },
  );
  return true;
}
