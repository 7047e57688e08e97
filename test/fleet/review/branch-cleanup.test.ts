import { afterEach, describe, expect, it } from 'vitest';
import { cleanupFleetBranches } from '../../../src/fleet/review/branch-cleanup.js';
import { agentWorktree, commit, git, Sandbox } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('cleanupFleetBranches', () => {
  it('deletes merged branches of gone agents and keeps live, checked-out, unmerged and non-fleet ones', async () => {
    const repo = sandbox.gitRepo();
    git(repo, ['branch', 'fleet/merged']);
    git(repo, ['branch', 'fleet/live']);
    git(repo, ['branch', 'feature/mine']);
    const unmerged = agentWorktree(sandbox, repo, 'unmerged');
    commit(unmerged, { 'u.txt': 'u\n' }, 'not merged');
    git(repo, ['worktree', 'remove', unmerged]);
    const squashed = agentWorktree(sandbox, repo, 'squashed');
    commit(squashed, { 's.txt': 's\n' }, 'squashed later');
    git(repo, ['worktree', 'remove', squashed]);
    git(repo, ['merge', '-q', '--squash', 'fleet/squashed']);
    git(repo, ['commit', '-q', '-m', 'squash']);
    const busy = agentWorktree(sandbox, repo, 'busy');

    const result = await cleanupFleetBranches({ repoRoot: repo, liveAgentBranches: ['fleet/live'], into: 'main' });

    expect(result.deleted.map((v) => [v.branch, v.landed]).sort()).toEqual([
      ['fleet/merged', 'reachable'],
      ['fleet/squashed', 'content'],
    ]);
    expect(result.kept.sort((a, b) => a.branch.localeCompare(b.branch))).toEqual([
      { branch: 'fleet/busy', deleted: false, reason: `checked out in ${busy}` },
      { branch: 'fleet/live', deleted: false, reason: 'its agent still exists' },
      { branch: 'fleet/unmerged', deleted: false, reason: '1 commit(s) not merged into main' },
    ]);
    expect(git(repo, ['branch', '--format=%(refname:short)']).split('\n').sort()).toEqual([
      'feature/mine',
      'fleet/busy',
      'fleet/live',
      'fleet/unmerged',
      'main',
    ]);
  });

  it('refuses an `into` that does not exist', async () => {
    const repo = sandbox.gitRepo();
    await expect(cleanupFleetBranches({ repoRoot: repo, liveAgentBranches: [], into: 'nope' })).rejects.toThrow(
      /into: "nope" is not a branch/,
    );
  });
});
