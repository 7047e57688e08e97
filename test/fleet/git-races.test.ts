import { afterEach, describe, expect, it } from 'vitest';
import { git, Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/** Runs `work` on every item with at most `width` running at once; resolves with each outcome, in order. */
async function inBatches<T, R>(
  items: T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = [];
  for (let start = 0; start < items.length; start += width) {
    results.push(...(await Promise.allSettled(items.slice(start, start + width).map(work))));
  }
  return results;
}

describe('git on one repository from many agents at once', () => {
  // 96 creates and 48 deletes, each a few git processes under one repository's lock: minutes on a loaded 2-core machine.
  it('creates 96 agents, 8 at a time, without one git failure', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: { quick: { command: ['true', '--', '{task}'] } },
      maxBusy: 8,
    });
    const names = Array.from({ length: 96 }, (_, i) => `racer-${i}`);
    const results = await inBatches(names, 8, (name) => fleet.createAgent({ name, project: 'repo', task: 'nothing' }));

    const failures = results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
    expect(failures).toEqual([]);
    const fleetBranches = () =>
      git(repo, ['for-each-ref', '--format=%(refname)', 'refs/heads/fleet/']).split('\n').filter(Boolean);
    expect(fleetBranches()).toHaveLength(96);
    await Promise.all(names.slice(0, 48).map((name) => fleet.deleteAgent(name)));
    expect(fleetBranches()).toHaveLength(48);
  }, 300_000);
});
