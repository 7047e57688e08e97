import { afterEach, describe, expect, it } from 'vitest';
import { deleteBranchIfMerged, unlandedWork } from '../../../src/fleet/review/delete-safety.js';
import { agentWorktree, commit, git, Sandbox, sha, writeFile } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

function setup() {
  const repo = sandbox.gitRepo();
  const worktree = agentWorktree(sandbox, repo, 'alpha');
  const options = {
    repoRoot: repo,
    worktree,
    branch: 'fleet/alpha',
    base: { ref: 'refs/heads/main', commit: sha(repo, 'main') },
  };
  return { repo, worktree, options };
}

function branchExists(repo: string, branch: string): boolean {
  return git(repo, ['branch', '--list', branch]) !== '';
}

describe('unlandedWork', () => {
  it('lists uncommitted files and commits the base does not have', async () => {
    const { worktree, options } = setup();
    commit(worktree, { 'a.txt': 'a\n' }, 'agent work');
    writeFile(worktree, 'README.md', '# edited\n');
    writeFile(worktree, 'new.txt', 'n\n');

    const work = await unlandedWork(options);

    expect(work.safeToDelete).toBe(false);
    expect(work.uncommitted.items.sort()).toEqual(['README.md', 'new.txt']);
    expect(work.commits.items.map((c) => c.subject)).toEqual(['agent work']);
    expect(work.summary).toBe(
      `would lose 2 uncommitted file(s) in ${worktree} and 1 commit(s) on fleet/alpha not in refs/heads/main`,
    );
  });

  it('is safe once the work is merged, fast-forwarded or squashed into the base', async () => {
    const { repo, worktree, options } = setup();
    expect((await unlandedWork(options)).safeToDelete).toBe(true);
    commit(worktree, { 'a.txt': 'a\n' }, 'agent work');
    commit(repo, { 'b.txt': 'b\n' }, 'main moved');

    git(repo, ['merge', '-q', '--squash', 'fleet/alpha']);
    git(repo, ['commit', '-q', '-m', 'squashed']);
    const squashed = await unlandedWork(options);
    expect(squashed).toMatchObject({ safeToDelete: true, landedByContent: true, commits: { total: 1 } });

    writeFile(worktree, 'late.txt', 'l\n');
    expect((await unlandedWork(options)).safeToDelete).toBe(false);
  });
});

describe('deleteBranchIfMerged', () => {
  it('deletes a merged branch and keeps an unmerged or checked-out one, saying why', async () => {
    const { repo, worktree } = setup();
    commit(worktree, { 'a.txt': 'a\n' }, 'agent work');

    expect(await deleteBranchIfMerged({ repoRoot: repo, branch: 'fleet/alpha', into: 'main' })).toEqual({
      branch: 'fleet/alpha',
      deleted: false,
      reason: `checked out in ${worktree}`,
    });
    git(repo, ['worktree', 'remove', worktree]);
    expect(await deleteBranchIfMerged({ repoRoot: repo, branch: 'fleet/alpha', into: 'main' })).toEqual({
      branch: 'fleet/alpha',
      deleted: false,
      reason: '1 commit(s) not merged into main',
    });
    expect(branchExists(repo, 'fleet/alpha')).toBe(true);

    git(repo, ['merge', '-q', '--no-ff', '-m', 'merge', 'fleet/alpha']);
    const verdict = await deleteBranchIfMerged({ repoRoot: repo, branch: 'fleet/alpha', into: 'main' });
    expect(verdict).toMatchObject({ deleted: true, landed: 'reachable' });
    expect(branchExists(repo, 'fleet/alpha')).toBe(false);
  });
});
