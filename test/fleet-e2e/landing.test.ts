import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentDetails } from '../../src/fleet/fleet-api.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { git } from '../fleet/helpers.js';
import { createFleetSandbox, startFleetServer, task, type FleetSandbox, type FleetServer } from './fleet-server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** Adds a default role whose task text is a shell snippet (so agents really edit and commit), and a sub-folder project. */
function landingSandbox(): FleetSandbox {
  const sandbox = createFleetSandbox();
  const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
  config.roles.test.default = false;
  config.roles.shell = { command: ['/bin/sh', '-c', 'eval "$1"', 'sh', '{task}'], default: true };
  mkdirSync(join(sandbox.repo, 'packages', 'app'), { recursive: true });
  writeFileSync(join(sandbox.repo, 'packages', 'app', 'app.txt'), 'app\n');
  git(sandbox.repo, ['add', '.']);
  git(sandbox.repo, ['commit', '-q', '-m', 'add app']);
  config.projects.app = { path: join(sandbox.repo, 'packages', 'app'), description: 'a folder of the repository' };
  writeFileSync(sandbox.configFile, JSON.stringify(config));
  return sandbox;
}

const COMMIT = (file: string, text: string, subject: string) =>
  `printf '${text}\\n' > ${file} && git add ${file} && git -c user.name=T -c user.email=t@t.invalid commit -q -m "${subject}"`;

async function runAgent(fleet: FleetServer, name: string, snippet: string, project = 'repo'): Promise<AgentDetails> {
  await fleet.ok('create_agent', { name, project, task: snippet });
  const waited = await fleet.ok('wait_for_agent', { name: name, timeout_seconds: 30 });
  expect(waited.agent.last_task.status).toBe('completed');
  return waited.agent;
}

function head(repo: string, ref = 'main'): string {
  return git(repo, ['rev-parse', ref]);
}

describe("reviewing and landing an agent's work through the MCP tools", () => {
  it('create → wait → show changes → merge → delete: the work lands on main and the merged branch goes', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    const base = head(sandbox.repo);
    const agent = await runAgent(
      fleet,
      'lander',
      `${COMMIT('feature.txt', 'feature', 'add feature')} && echo notes > notes.txt`,
    );
    const autocommit = head(sandbox.repo, 'fleet/lander');
    expect(agent.last_task).toMatchObject({
      commits: [{ subject: 'add feature' }],
      uncommitted_changes: true,
      autocommit: { sha: autocommit, files: ['notes.txt'] },
    });

    const changes = await fleet.ok('show_agent_changes', { name: 'lander' });
    expect(changes).toMatchObject({
      agent: 'lander',
      kind: 'git',
      base: { ref: 'refs/heads/main', commit: base, tip: base, refGone: false },
      branch: { name: 'fleet/lander', commit: autocommit },
      ahead: { total: 2 },
      behind: { total: 0 },
      diffstat: { committed: { files: 2, insertions: 2, deletions: 0 } },
      uncommitted: { staged: { total: 0 }, unstaged: { total: 0 }, untracked: { total: 0 } },
      diff: { nextOffset: null },
    });
    expect(changes.ahead.items.map((commit: { subject: string }) => commit.subject)).toEqual([
      expect.stringMatching(/^fleet-mcp: uncommitted work of task /),
      'add feature',
    ]);
    expect(changes.diff.parts[0].text).toContain('+feature');
    const paged = await fleet.ok('show_agent_changes', { name: 'lander', diff_limit_bytes: 256 });
    expect(paged.diff.nextOffset).toBeGreaterThan(0);
    expect(paged.diff.leftOut.bytesAfter).toBeGreaterThan(0);

    writeFileSync(join(agent.workdir, 'late.txt'), 'written after the task\n');
    const merged = await fleet.ok('merge_agent', { name: 'lander' });
    const leftovers = head(sandbox.repo, 'fleet/lander');
    expect(git(sandbox.repo, ['log', '-1', '--format=%P', leftovers])).toBe(autocommit);
    expect(merged).toMatchObject({
      agent: 'lander',
      outcome: 'merged',
      strategy: 'merge',
      target: 'main',
      oldSha: base,
      fastForward: true,
      newSha: leftovers,
      files: ['feature.txt', 'late.txt', 'notes.txt'],
      checkoutUpdated: realpathSync(sandbox.repo),
      leftovers_committed: { sha: leftovers, files: ['late.txt'] },
    });
    expect(head(sandbox.repo)).toBe(leftovers);
    expect(readFileSync(join(sandbox.repo, 'feature.txt'), 'utf8')).toBe('feature\n');
    expect(git(sandbox.repo, ['status', '--porcelain'])).toBe('');

    const deleted = await fleet.ok('delete_agent', { name: 'lander' });
    expect(deleted).toMatchObject({
      status: 'deleted',
      branch_outcome: { branch: 'fleet/lander', deleted: true, reason: null },
      forced_past: null,
    });
    expect(deleted.status_reason).toMatch(/removed; branch fleet\/lander deleted, its work being in main/);
    expect(git(sandbox.repo, ['branch', '--list', 'fleet/lander'])).toBe('');
    await fleet.server.stop();
  });

  it('a conflict lists the files and changes nothing; squash then lands one commit; a merge commit when main moved', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    await runAgent(fleet, 'clash', COMMIT('README.md', 'agent readme', 'agent edits readme'));
    await runAgent(fleet, 'squasher', `${COMMIT('one.txt', 'one', 'one')} && ${COMMIT('two.txt', 'two', 'two')}`);
    await runAgent(fleet, 'merger', COMMIT('three.txt', 'three', 'three'));
    writeFileSync(join(sandbox.repo, 'README.md'), 'main readme\n');
    git(sandbox.repo, ['commit', '-q', '-am', 'main edits readme']);
    const before = head(sandbox.repo);

    const conflict = await fleet.ok('merge_agent', { name: 'clash' });
    expect(conflict).toMatchObject({ outcome: 'conflict', files: ['README.md'], target: 'main' });
    expect(conflict.messages.join(' ')).toMatch(/CONFLICT|conflict/i);
    expect(head(sandbox.repo)).toBe(before);
    expect(readFileSync(join(sandbox.repo, 'README.md'), 'utf8')).toBe('main readme\n');
    expect(git(sandbox.repo, ['status', '--porcelain'])).toBe('');

    const squashed = await fleet.ok('merge_agent', { name: 'squasher', strategy: 'squash' });
    expect(squashed).toMatchObject({
      outcome: 'merged',
      strategy: 'squash',
      oldSha: before,
      fastForward: false,
      files: ['one.txt', 'two.txt'],
    });
    expect(squashed.created).toEqual([squashed.newSha]);
    expect(git(sandbox.repo, ['log', '-1', '--format=%P%n%s', 'main'])).toBe(
      `${before}\nSquashed work of agent squasher (fleet/squasher)`,
    );
    expect(readFileSync(join(sandbox.repo, 'two.txt'), 'utf8')).toBe('two\n');

    const mergeCommit = await fleet.ok('merge_agent', { name: 'merger', message: 'Land three' });
    expect(mergeCommit).toMatchObject({ outcome: 'merged', fastForward: false, files: ['three.txt'] });
    expect(git(sandbox.repo, ['log', '-1', '--format=%P%n%s', 'main'])).toBe(
      `${squashed.newSha} ${head(sandbox.repo, 'fleet/merger')}\nLand three`,
    );

    const squashDeleted = await fleet.ok('delete_agent', { name: 'squasher' });
    expect(squashDeleted.branch_outcome).toEqual({ branch: 'fleet/squasher', deleted: true, reason: null });
    await fleet.server.stop();
  });

  it('refuses a target checked out with local edits, and an agent that is busy; nothing changes', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    await runAgent(fleet, 'blocked', COMMIT('x.txt', 'x', 'add x'));
    await runAgent(fleet, 'behind', COMMIT('y.txt', 'y', 'add y'));
    git(sandbox.repo, ['commit', '-q', '--allow-empty', '-m', 'main moves on']);
    writeFileSync(join(sandbox.repo, 'README.md'), 'local edit\n');
    const before = head(sandbox.repo);

    const refused = await fleet.ok('merge_agent', { name: 'blocked' });
    expect(refused).toMatchObject({ outcome: 'refused', files: ['README.md'] });
    expect(refused.reason).toMatch(/main is checked out in .* with uncommitted changes/);
    expect(head(sandbox.repo)).toBe(before);
    expect(readFileSync(join(sandbox.repo, 'README.md'), 'utf8')).toBe('local edit\n');

    await fleet.ok('start_agent_task', { name: 'behind', task: 'sleep 60' });
    expect(await fleet.fails('merge_agent', { name: 'behind' })).toMatch(
      /Agent "behind" is busy with task "sleep 60"; .*wait_for_agent/,
    );
    expect(head(sandbox.repo)).toBe(before);
    await fleet.ok('cancel_agent_task', { name: 'behind' });
    await fleet.server.stop();
  });

  it('delete refuses while work would be lost and lists it; force deletes and says what it overrode; a kept branch is named', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    const careful = await runAgent(fleet, 'careful', 'true');
    writeFileSync(join(careful.workdir, 'draft.txt'), 'draft\n');
    const refusal = await fleet.fails('delete_agent', { name: 'careful' });
    expect(refusal).toMatch(
      /^Agent "careful" has work that deleting it would lose or leave unmerged: 1 uncommitted file\(s\) in its worktree: draft.txt\. .*force: true/,
    );
    expect((await fleet.ok('show_agent', { name: 'careful' })).status).toBe('idle');

    const forced = await fleet.ok('delete_agent', { name: 'careful', force: true });
    expect(forced).toMatchObject({
      status: 'deleted',
      forced_past: expect.stringMatching(/would lose 1 uncommitted file/),
      branch_outcome: { deleted: true },
    });

    await runAgent(fleet, 'keeper', COMMIT('k.txt', 'k', 'keep me'));
    expect(await fleet.fails('delete_agent', { name: 'keeper' })).toMatch(
      /1 commit\(s\) on fleet\/keeper not in its base: [0-9a-f]{12} keep me/,
    );
    const kept = await fleet.ok('delete_agent', { name: 'keeper', force: true });
    expect(kept.branch_outcome).toEqual({
      branch: 'fleet/keeper',
      deleted: false,
      reason: '1 commit(s) not merged into refs/heads/main',
    });
    expect(kept.status_reason).toMatch(/branch fleet\/keeper kept \(1 commit\(s\) not merged into refs\/heads\/main\)/);
    expect(git(sandbox.repo, ['branch', '--list', 'fleet/keeper'])).toContain('fleet/keeper');
    await fleet.server.stop();
  });

  it('lands three agents merged at the same moment one after the other (the repository lock), neither refused', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    const names = ['left', 'right', 'middle'];
    for (const name of names) await runAgent(fleet, name, COMMIT(`${name}.txt`, name, `add ${name}`));
    const results = await Promise.all(names.map((name) => fleet.ok('merge_agent', { name: name })));
    expect(results.map((result) => result.outcome)).toEqual(['merged', 'merged', 'merged']);
    for (const name of names) expect(readFileSync(join(sandbox.repo, `${name}.txt`), 'utf8')).toBe(`${name}\n`);
    await fleet.server.stop();
  });

  it('remembers the base across a server restart: merge_agent lands on it though the checkout moved to another branch', async () => {
    const sandbox = landingSandbox();
    const first = await startFleetServer(sandbox);
    await runAgent(first, 'steady', COMMIT('s.txt', 's', 'add s'));
    await first.server.stop();
    git(sandbox.repo, ['checkout', '-q', '-b', 'elsewhere']);

    const fleet = await startFleetServer(sandbox);
    const merged = await fleet.ok('merge_agent', { name: 'steady' });
    expect(merged).toMatchObject({ outcome: 'merged', target: 'main', checkoutUpdated: null });
    expect(head(sandbox.repo, 'main')).toBe(head(sandbox.repo, 'fleet/steady'));
    expect(head(sandbox.repo, 'elsewhere')).not.toBe(head(sandbox.repo, 'main'));
    await fleet.server.stop();
  });

  it('cleanup_fleet_branches deletes merged branches of gone agents and keeps the rest with reasons', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    await runAgent(fleet, 'live', 'true');
    git(sandbox.repo, ['branch', 'fleet/merged-old']);
    git(sandbox.repo, ['checkout', '-q', '-b', 'fleet/unmerged-old']);
    writeFileSync(join(sandbox.repo, 'u.txt'), 'u\n');
    git(sandbox.repo, ['add', 'u.txt']);
    git(sandbox.repo, ['commit', '-q', '-m', 'unmerged']);
    git(sandbox.repo, ['checkout', '-q', 'main']);

    const result = await fleet.ok('cleanup_fleet_branches', { project: 'repo' });
    expect(result).toMatchObject({
      project: 'repo',
      into: 'main',
      deleted: [{ branch: 'fleet/merged-old', landed: 'reachable' }],
    });
    expect(result.kept).toEqual(
      expect.arrayContaining([
        { branch: 'fleet/live', deleted: false, reason: 'its agent still exists' },
        { branch: 'fleet/unmerged-old', deleted: false, reason: '1 commit(s) not merged into main' },
      ]),
    );
    expect(git(sandbox.repo, ['branch', '--format=%(refname:short)']).split('\n').sort()).toEqual([
      'fleet/live',
      'fleet/unmerged-old',
      'main',
    ]);
    expect(await fleet.fails('cleanup_fleet_branches', { project: 'plain' })).toMatch(
      /project "plain" is not in a git repository/,
    );
    await fleet.server.stop();
  });

  it('shows a sub-folder project its own folder by default, and says what a plain folder cannot show', async () => {
    const sandbox = landingSandbox();
    const fleet = await startFleetServer(sandbox);
    await runAgent(fleet, 'sub', 'echo inside > inside.txt && echo outside > ../../outside.txt', 'app');
    const own = await fleet.ok('show_agent_changes', { name: 'sub' });
    expect(own.pathFilter).toEqual(['packages/app']);
    expect(own.diffstat.committed.perFile.map((file: { path: string }) => file.path)).toEqual([
      'packages/app/inside.txt',
    ]);
    const whole = await fleet.ok('show_agent_changes', { name: 'sub', path: 'outside.txt' });
    expect(whole.diffstat.committed.perFile.map((file: { path: string }) => file.path)).toEqual(['outside.txt']);

    await fleet.ok('create_agent', { name: 'plainly', project: 'plain', role: 'test', task: task({}) });
    await fleet.ok('wait_for_agent', { name: 'plainly', timeout_seconds: 30 });
    const plain = await fleet.ok('show_agent_changes', { name: 'plainly' });
    expect(plain).toMatchObject({ agent: 'plainly', kind: 'not_git' });
    expect(plain.message).toMatch(
      /is not in a git repository, so there is no base, branch, commit list or diff to show/,
    );
    expect(await fleet.fails('merge_agent', { name: 'plainly' })).toMatch(
      /not a git repository: there is no branch to merge/,
    );
    expect((await fleet.ok('delete_agent', { name: 'plainly' })).branch_outcome).toBeNull();
    await fleet.server.stop();
  });
});
