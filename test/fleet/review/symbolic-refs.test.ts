import { afterEach, describe, expect, it } from 'vitest';
import { cleanupFleetBranches } from '../../../src/fleet/review/branch-cleanup.js';
import { mergeAgentBranch } from '../../../src/fleet/review/merge.js';
import { commit, git, Sandbox } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/** A repository whose `fleet/x` is a symbolic ref to main: deleting or landing it as is would act on main. */
function linkedRepo(): { repo: string; main: string } {
  const repo = sandbox.gitRepo();
  git(repo, ['symbolic-ref', 'refs/heads/fleet/x', 'refs/heads/main']);
  return { repo, main: git(repo, ['rev-parse', 'main']) };
}

describe('symbolic refs', () => {
  it('are never deleted by a cleanup, and main stays', async () => {
    const { repo, main } = linkedRepo();
    const result = await cleanupFleetBranches({ repoRoot: repo, liveAgentBranches: [], into: 'main' }).catch(
      (error: Error) => error,
    );
    expect(String(result)).toContain('refs/heads/fleet/x in');
    expect(String(result)).toContain(
      'is a symbolic ref to refs/heads/main; fleet-mcp moves and deletes only plain branches',
    );
    expect(git(repo, ['rev-parse', 'main'])).toBe(main);
    expect(git(repo, ['symbolic-ref', 'refs/heads/fleet/x'])).toBe('refs/heads/main');
  });

  it('are neither landed nor landed on', async () => {
    const { repo, main } = linkedRepo();
    git(repo, ['branch', 'release']);
    commit(repo, { 'later.txt': 'x\n' }, 'later');
    await expect(
      mergeAgentBranch({ repoRoot: repo, branch: 'fleet/x', target: 'release', strategy: 'merge', message: 'm' }),
    ).rejects.toThrow('is a symbolic ref to refs/heads/main');
    git(repo, ['symbolic-ref', 'refs/heads/target', 'refs/heads/release']);
    git(repo, ['branch', 'fleet/y', main]);
    await expect(
      mergeAgentBranch({ repoRoot: repo, branch: 'fleet/y', target: 'target', strategy: 'merge', message: 'm' }),
    ).rejects.toThrow('refs/heads/target in');
    expect(git(repo, ['rev-parse', 'release'])).toBe(main);
  });
});
