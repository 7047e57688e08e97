import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeAgentBranch, type MergeOptions } from '../../../src/fleet/review/merge.js';
import { agentWorktree, commit, git, Sandbox, sha, snapshot, writeFile } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/** A repository whose main checkout has `main` checked out, and an agent worktree on fleet/alpha. */
function setup() {
  const repo = sandbox.gitRepo();
  commit(repo, { 'shared.txt': 'one\ntwo\nthree\n' }, 'shared file');
  const worktree = agentWorktree(sandbox, repo, 'alpha');
  const options = (strategy: MergeOptions['strategy'], target = 'main'): MergeOptions => ({
    repoRoot: repo,
    branch: 'fleet/alpha',
    target,
    strategy,
    message: 'Land fleet/alpha',
  });
  return { repo, worktree, options };
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const parents = (repo: string, rev: string) => git(repo, ['log', '-1', '--format=%P', rev]).split(' ').filter(Boolean);

describe('mergeAgentBranch', () => {
  it('makes a merge commit on a target that moved on, and its clean checkout follows', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'agent.txt': 'agent\n' }, 'agent work');
    const moved = commit(repo, { 'user.txt': 'user\n' }, 'user work');
    writeFile(repo, 'scratch.txt', "untracked but in nobody's way\n");

    const result = await mergeAgentBranch(options('merge'));

    expect(result).toMatchObject({
      outcome: 'merged',
      strategy: 'merge',
      target: 'main',
      oldSha: moved,
      fastForward: false,
      files: ['agent.txt'],
      checkoutUpdated: repo,
    });
    if (result.outcome !== 'merged') return;
    expect(sha(repo, 'main')).toBe(result.newSha);
    expect(result.created).toEqual([result.newSha]);
    expect(parents(repo, 'main')).toEqual([moved, sha(repo, 'fleet/alpha')]);
    expect(git(repo, ['log', '-1', '--format=%s'])).toBe('Land fleet/alpha');
    expect(read(repo, 'agent.txt')).toBe('agent\n');
    expect(git(repo, ['status', '--porcelain'])).toBe('?? scratch.txt');
  });

  it('updates a target checked out in another worktree, not only in the main checkout', async () => {
    const { repo, worktree, options } = setup();
    const develop = agentWorktree(sandbox, repo, 'user-develop');
    git(develop, ['checkout', '-q', '-b', 'develop']);
    commit(worktree, { 'agent.txt': 'agent\n' }, 'agent work');
    commit(develop, { 'dev.txt': 'd\n' }, 'develop work');

    const result = await mergeAgentBranch(options('squash', 'develop'));

    expect(result).toMatchObject({ outcome: 'merged', checkoutUpdated: develop, files: ['agent.txt'] });
    expect(read(develop, 'agent.txt')).toBe('agent\n');
    expect(git(develop, ['status', '--porcelain'])).toBe('');
  });

  it('fast-forwards when the target has not moved since the branch left it', async () => {
    const { repo, worktree, options } = setup();
    const work = commit(worktree, { 'agent.txt': 'agent\n' }, 'agent work');
    const result = await mergeAgentBranch(options('merge'));
    expect(result).toMatchObject({ outcome: 'merged', fastForward: true, newSha: work, created: [] });
    expect(sha(repo, 'main')).toBe(work);
    expect(git(repo, ['status', '--porcelain'])).toBe('');
  });

  it('on a conflict lists the files and changes nothing: no ref, no checkout, no index', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'shared.txt': 'one\nAGENT\nthree\n', 'agent.txt': 'a\n' }, 'agent edits line 2');
    commit(repo, { 'shared.txt': 'one\nUSER\nthree\n' }, 'user edits line 2');
    const before = snapshot(repo, worktree);

    for (const strategy of ['merge', 'squash', 'rebase'] as const) {
      const result = await mergeAgentBranch(options(strategy));
      expect(result).toMatchObject({ outcome: 'conflict', strategy, files: ['shared.txt'] });
      if (result.outcome === 'conflict')
        expect(result.messages.join('\n')).toMatch(/CONFLICT \(content\).*shared\.txt/);
    }
    expect(snapshot(repo, worktree)).toBe(before);
  });

  it('squashes the branch into one commit with the given message', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'a.txt': 'a\n' }, 'first');
    commit(worktree, { 'b.txt': 'b\n' }, 'second');
    const old = commit(repo, { 'user.txt': 'u\n' }, 'user work');

    const result = await mergeAgentBranch({ ...options('squash'), message: 'Squashed alpha' });

    expect(result).toMatchObject({ outcome: 'merged', fastForward: false, files: ['a.txt', 'b.txt'] });
    expect(parents(repo, 'main')).toEqual([old]);
    expect(git(repo, ['log', '-1', '--format=%s'])).toBe('Squashed alpha');
    expect(read(repo, 'b.txt')).toBe('b\n');
    expect(await mergeAgentBranch(options('squash'))).toMatchObject({ outcome: 'up_to_date' });
  });

  it('rebases onto a target nobody has checked out, keeping authors and messages, dropping what it already has', async () => {
    const { repo, worktree, options } = setup();
    git(repo, ['branch', 'release']);
    const picked = commit(worktree, { 'fix.txt': 'fix\n' }, 'fix already on release');
    commit(worktree, { 'feature.txt': 'f\n' }, 'feature');
    commit(worktree, { 'both.txt': 'same\n' }, 'also inside a bigger release commit');
    git(worktree, [
      '-c',
      'user.name=Agent Smith',
      '-c',
      'user.email=smith@agents.invalid',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'empty note',
    ]);
    git(repo, ['checkout', '-q', 'release']);
    git(repo, ['cherry-pick', picked]);
    const old = commit(repo, { 'release.txt': 'r\n', 'both.txt': 'same\n' }, 'release work');
    git(repo, ['checkout', '-q', 'main']);
    const mainBefore = sha(repo, 'main');

    const result = await mergeAgentBranch(options('rebase', 'release'));

    expect(result).toMatchObject({
      outcome: 'merged',
      strategy: 'rebase',
      oldSha: old,
      checkoutUpdated: null,
      files: ['feature.txt'],
    });
    expect(git(repo, ['log', '--format=%s|%an', `${old}..release`])).toBe('empty note|Agent Smith\nfeature|Fleet Test');
    expect(git(repo, ['rev-list', '--merges', '--count', 'release'])).toBe('0');
    expect(sha(repo, 'main')).toBe(mainBefore);
    expect(git(repo, ['rev-parse', 'fleet/alpha'])).toBe(sha(worktree, 'HEAD'));
  });

  it('reports a rebase conflict at an intermediate commit and changes nothing', async () => {
    const { repo, worktree, options } = setup();
    const there = commit(worktree, { 'shared.txt': 'one\nX\nthree\n' }, 'change line 2');
    commit(worktree, { 'shared.txt': 'one\ntwo\nthree\n' }, 'change it back');
    commit(repo, { 'shared.txt': 'one\nY\nthree\n' }, 'user changes line 2');
    const before = snapshot(repo, worktree);

    expect(await mergeAgentBranch(options('merge'))).toMatchObject({ outcome: 'merged' });
    git(repo, ['reset', '-q', '--hard', 'HEAD^']);
    const result = await mergeAgentBranch(options('rebase'));

    expect(result).toMatchObject({ outcome: 'conflict', atCommit: there, files: ['shared.txt'] });
    expect(snapshot(repo, worktree)).toBe(before);
  });

  it('refuses a target checked out with uncommitted changes, changing nothing', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'agent.txt': 'agent\n' }, 'agent work');
    writeFile(repo, 'README.md', '# the user is editing this\n');
    const before = snapshot(repo, worktree);

    const result = await mergeAgentBranch(options('merge'));

    expect(result).toMatchObject({ outcome: 'refused', files: ['README.md'] });
    if (result.outcome === 'refused')
      expect(result.reason).toBe(
        `main is checked out in ${repo} with uncommitted changes; commit or stash them there, then merge again`,
      );
    expect(snapshot(repo, worktree)).toBe(before);
  });

  it('puts the target back when its checkout cannot follow because an untracked file is in the way', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'agent.txt': 'agent\n' }, 'agent work');
    commit(repo, { 'user.txt': 'u\n' }, 'user work');
    writeFile(repo, 'agent.txt', "the user's own untracked file\n");
    const before = snapshot(repo, worktree);

    const result = await mergeAgentBranch(options('merge'));

    expect(result).toMatchObject({ outcome: 'refused' });
    if (result.outcome === 'refused')
      expect(result.reason).toMatch(/could not follow.*agent\.txt.*nothing was changed/s);
    expect(snapshot(repo, worktree)).toBe(before);
    expect(read(repo, 'agent.txt')).toBe("the user's own untracked file\n");
  });

  it('says when there is nothing to land, and refuses unknown branches', async () => {
    const { options } = setup();
    expect(await mergeAgentBranch(options('merge'))).toMatchObject({ outcome: 'up_to_date' });
    await expect(mergeAgentBranch(options('merge', 'nope'))).rejects.toThrow('target branch "nope" does not exist');
  });
});
