import { FleetError } from '../errors.js';
import { runGit } from './git.js';
import { commitOf } from './refs.js';

export type BaseKind = 'branch' | 'tag' | 'remote_branch' | 'commit';

export interface ResolvedBase {
  /** The full ref (`refs/heads/main`, `refs/tags/v1`), or the commit's sha when the base was a bare commit. */
  ref: string;
  /** The name to show: `main`, `v1`, `origin/main`, or the sha. */
  name: string;
  kind: BaseKind;
  /** The commit the base names right now; an agent created from it starts here. */
  commit: string;
}

/**
 * Resolves the base an agent starts from: a branch, tag or commit (anything `git rev-parse` understands, e.g.
 * `main`, `v1.2`, `origin/main`, `a1b2c3d`, `HEAD~2`). Without one, the default is the branch the repository's main
 * checkout has checked out (its HEAD), or HEAD's commit when that checkout is detached.
 */
export async function resolveBase(options: { repoRoot: string; base?: string }): Promise<ResolvedBase> {
  const requested = options.base?.trim();
  if (requested === undefined || requested === '') return headBase(options.repoRoot);
  if (requested.startsWith('-')) {
    throw new FleetError('invalid_argument', `base "${requested}" starts with "-": give a branch, tag or commit name`);
  }
  const commit = await commitOf(options.repoRoot, requested);
  if (commit === null) {
    throw new FleetError(
      'not_found',
      `base "${requested}" is not a branch, tag or commit of the repository at ${options.repoRoot}`,
    );
  }
  const fullRef = await symbolicFullName(options.repoRoot, requested);
  return describe(fullRef, commit);
}

async function headBase(repoRoot: string): Promise<ResolvedBase> {
  const base = await headBaseIfAny(repoRoot);
  if (base === null)
    throw new FleetError(
      'failed',
      `the repository at ${repoRoot} has no commit yet, so there is no base to start from`,
    );
  return base;
}

/** The default base (see resolveBase), or null in a repository without a commit yet; one git run. */
export async function headBaseIfAny(repoRoot: string): Promise<ResolvedBase | null> {
  // 128: HEAD names no commit. Detached, --symbolic-full-name prints HEAD itself, which describe() takes as a commit.
  const { stdout, code } = await runGit(repoRoot, ['rev-parse', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD'], {
    okCodes: [128],
  });
  if (code !== 0) return null;
  const [commit = '', fullRef = ''] = stdout.trim().split('\n');
  return describe(fullRef, commit);
}

/** The full ref a name stands for, or '' for a commit expression (`a1b2c3d`, `HEAD~2`). */
async function symbolicFullName(repoRoot: string, name: string): Promise<string> {
  // No --end-of-options here: git 2.39's rev-parse echoes it; the caller has already refused names starting with "-".
  const fullName = (await runGit(repoRoot, ['rev-parse', '--symbolic-full-name', name])).stdout.trim();
  const [branch, tag] = await Promise.all([
    commitOf(repoRoot, `refs/heads/${name}`),
    commitOf(repoRoot, `refs/tags/${name}`),
  ]);
  if (fullName === '' && branch !== null && tag !== null) {
    throw new FleetError(
      'invalid_argument',
      `base "${name}" is ambiguous (a branch and a tag of that name): give refs/heads/${name} or refs/tags/${name}`,
    );
  }
  return fullName;
}

/** The base HEAD is, from its commit and full ref (`HEAD` itself when detached, which is then a commit base). */
export function headAsBase(head: { commit: string; fullRef: string }): ResolvedBase {
  return describe(head.fullRef, head.commit);
}

function describe(fullRef: string, commit: string): ResolvedBase {
  for (const [prefix, kind] of [
    ['refs/heads/', 'branch'],
    ['refs/tags/', 'tag'],
    ['refs/remotes/', 'remote_branch'],
  ] as const) {
    if (fullRef.startsWith(prefix)) return { ref: fullRef, name: fullRef.slice(prefix.length), kind, commit };
  }
  return { ref: commit, name: commit, kind: 'commit', commit };
}

/** The commit `base.ref` names now (a branch moves on), or the commit the base had when the ref is gone. */
export async function currentBaseTip(
  repoRoot: string,
  base: { ref: string; commit: string },
): Promise<{ commit: string; refGone: boolean }> {
  const now = await commitOf(repoRoot, base.ref);
  return now === null ? { commit: base.commit, refGone: true } : { commit: now, refGone: false };
}
