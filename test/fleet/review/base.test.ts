import { afterEach, describe, expect, it } from 'vitest';
import { resolveBase } from '../../../src/fleet/review/base.js';
import { commit, git, Sandbox, sha } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('resolveBase', () => {
  it('resolves a branch, an annotated tag and a commit to a ref and the commit it names', async () => {
    const repo = sandbox.gitRepo();
    const first = sha(repo, 'HEAD');
    git(repo, ['tag', '-a', '-m', 'release', 'v1']);
    git(repo, ['branch', 'develop']);
    const second = commit(repo, { 'a.txt': 'a\n' }, 'second');

    expect(await resolveBase({ repoRoot: repo, base: 'develop' })).toEqual({
      ref: 'refs/heads/develop',
      name: 'develop',
      kind: 'branch',
      commit: first,
    });
    expect(await resolveBase({ repoRoot: repo, base: 'v1' })).toEqual({
      ref: 'refs/tags/v1',
      name: 'v1',
      kind: 'tag',
      commit: first,
    });
    expect(await resolveBase({ repoRoot: repo, base: first.slice(0, 10) })).toEqual({
      ref: first,
      name: first,
      kind: 'commit',
      commit: first,
    });
    expect(await resolveBase({ repoRoot: repo, base: 'HEAD~1' })).toMatchObject({ kind: 'commit', commit: first });
    expect(await resolveBase({ repoRoot: repo })).toEqual({
      ref: 'refs/heads/main',
      name: 'main',
      kind: 'branch',
      commit: second,
    });
  });

  it('defaults to the commit when the main checkout is detached', async () => {
    const repo = sandbox.gitRepo();
    const head = sha(repo, 'HEAD');
    git(repo, ['checkout', '-q', '--detach']);
    expect(await resolveBase({ repoRoot: repo, base: '  ' })).toMatchObject({ kind: 'commit', commit: head });
  });

  it('refuses unknown, option-like and ambiguous names with one clear line', async () => {
    const repo = sandbox.gitRepo();
    git(repo, ['tag', 'twin']);
    git(repo, ['branch', 'twin']);
    await expect(resolveBase({ repoRoot: repo, base: 'nope' })).rejects.toThrow(
      `base "nope" is not a branch, tag or commit of the repository at ${repo}`,
    );
    await expect(resolveBase({ repoRoot: repo, base: '--output=/tmp/x' })).rejects.toThrow(
      'base "--output=/tmp/x" starts with "-"',
    );
    await expect(resolveBase({ repoRoot: repo, base: 'twin' })).rejects.toThrow(
      /ambiguous.*refs\/heads\/twin or refs\/tags\/twin/,
    );
    expect(await resolveBase({ repoRoot: repo, base: 'refs/heads/twin' })).toMatchObject({
      kind: 'branch',
      name: 'twin',
    });
  });
});
