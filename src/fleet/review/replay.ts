import { fallbackIdentityArgs, git } from './git.js';
import { mergeTrees, treeOf } from './merge-tree.js';

export type Replay =
  | { clean: true; tip: string; commits: string[] }
  | { clean: false; atCommit: string; files: string[]; messages: string[] };

/**
 * Replays `commits` (oldest first) onto `onto` the way `git rebase` would, with plumbing only: no checkout, no index,
 * no ref moves, so a conflict half-way leaves nothing behind but unreachable objects. Each commit keeps its author,
 * date and message; a commit whose change is already in `onto` (it became empty) is dropped, as rebase drops it.
 */
export async function replayCommits(repoRoot: string, onto: string, commits: string[]): Promise<Replay> {
  const identity = await fallbackIdentityArgs(repoRoot);
  let tip = onto;
  const made: string[] = [];
  for (const commit of commits) {
    const picked = await cherryPickTree(repoRoot, tip, commit);
    if (!picked.clean) return { clean: false, atCommit: commit, files: picked.files, messages: picked.messages };
    if (picked.tree === (await treeOf(repoRoot, tip)) && !(await wasEmpty(repoRoot, commit))) continue;
    tip = await recommit(repoRoot, identity, commit, picked.tree, tip);
    made.push(tip);
  }
  return { clean: true, tip, commits: made };
}

/**
 * A cherry-pick is a three-way merge of `onto` and `commit` whose base is the commit's parent. git 2.38's
 * `merge-tree --write-tree` has no option to name that base (--merge-base came in 2.40), so two throwaway commits
 * are made that share a parentless stand-in for the parent: their only merge base is then exactly that tree.
 */
async function cherryPickTree(repoRoot: string, onto: string, commit: string) {
  const identity = ['-c', 'user.name=fleet-mcp', '-c', 'user.email=fleet-mcp@localhost'];
  const throwaway = (tree: string, ...parents: string[]) =>
    git(repoRoot, [
      ...identity,
      'commit-tree',
      '--no-gpg-sign',
      '-m',
      'replay',
      ...parents.flatMap((p) => ['-p', p]),
      tree,
    ]);
  const base = await throwaway(await treeOf(repoRoot, `${commit}^`));
  const ours = await throwaway(await treeOf(repoRoot, onto), base);
  const theirs = await throwaway(await treeOf(repoRoot, commit), base);
  return mergeTrees(repoRoot, ours, theirs);
}

async function wasEmpty(repoRoot: string, commit: string): Promise<boolean> {
  return (await treeOf(repoRoot, commit)) === (await treeOf(repoRoot, `${commit}^`));
}

async function recommit(
  repoRoot: string,
  identity: string[],
  original: string,
  tree: string,
  parent: string,
): Promise<string> {
  const author = await git(repoRoot, ['show', '-s', '--format=%an%x00%ae%x00%ad', '--date=raw', original]);
  const [name = '', email = '', date = ''] = author.split('\0');
  const message = await git(repoRoot, ['show', '-s', '--format=%B', original]);
  const env = { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date };
  return git(repoRoot, [...identity, 'commit-tree', '-m', message.trimEnd(), '-p', parent, tree], { env });
}
