import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

// Agents are repositories of their own, so what they share is the refs of the user's repository: branches made,
// fetched into and deleted. Eight at once is the busy limit the tests run with, and as many as git races need.
const AGENTS = 8;

/**
 * Gives the repository 20,000 packed refs, written without git, so each branch delete rewrites a 1 MB packed-refs file
 * under packed-refs.lock; and makes git fail at once rather than wait up to a second for that lock. Deletes that
 * overlap then fail instead of waiting their turn inside git.
 */
function packManyRefs(repo: string): void {
  const head = git(repo, ['rev-parse', 'HEAD']);
  const refs = Array.from({ length: 20_000 }, (_, i) => `${head} refs/keep/k${String(i).padStart(5, '0')}\n`);
  writeFileSync(join(repo, '.git', 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted \n${refs.join('')}`);
  git(repo, ['config', 'core.packedRefsTimeout', '0']);
}

describe('git on one repository from many agents at once', () => {
  it(`creates ${AGENTS} agents at once and deletes them all at once, without one git failure`, async () => {
    const repo = sandbox.gitRepo();
    packManyRefs(repo);
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: { quick: { command: ['true', '--', '{task}'] } },
      maxBusy: AGENTS,
    });
    const names = Array.from({ length: AGENTS }, (_, i) => `racer-${i}`);
    const fleetBranches = () =>
      git(repo, ['for-each-ref', '--format=%(refname)', 'refs/heads/fleet/']).split('\n').filter(Boolean);

    const created = await Promise.allSettled(
      names.map((name) => fleet.createAgent({ name, project: 'repo', task: 'nothing' })),
    );
    expect(created.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []))).toEqual([]);
    expect(fleetBranches()).toHaveLength(AGENTS);
    // Every task has ended and fetched its branch, so only the deletes below move refs; packing the branches makes
    // each delete rewrite packed-refs.
    await Promise.all(names.map((name) => fleet.waitForAgent(name, 120_000)));
    git(repo, ['pack-refs', '--all']);

    const deleted = await Promise.all(names.map((name) => fleet.deleteAgent(name)));
    expect(deleted.flatMap(({ branch_outcome: outcome }) => (outcome?.deleted ? [] : [outcome]))).toEqual([]);
    expect(fleetBranches()).toEqual([]);
  }, 300_000);
});
