import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentDetails } from '../../src/fleet/fleet-api.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { git, initGitRepo } from '../fleet/helpers.js';
import { createFleetSandbox, task, type FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

/** The projects of the tests, each its own repository, so that each test sees only its own agents' work land. */
const PROJECTS = ['land', 'clash', 'refuse', 'keep', 'lock', 'restart', 'cleanup', 'sub'] as const;
type ProjectName = (typeof PROJECTS)[number];

let sandbox: FleetSandbox;
let fleet: InProcessFleetServer;
const repos = {} as Record<ProjectName, string>;

/**
 * One server for the file: a default role whose task text is a shell snippet (so agents really edit and commit), a
 * repository per test, and a sub-folder project of the sub test's repository.
 */
beforeAll(async () => {
  sandbox = createFleetSandbox();
  const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
  config.roles.test.default = false;
  config.roles.shell = { command: ['/bin/sh', '-c', 'eval "$1"', 'sh', '{task}'], default: true };
  for (const name of PROJECTS) {
    repos[name] = join(sandbox.sandbox.root, name);
    mkdirSync(repos[name]);
    initGitRepo(repos[name]);
    config.projects[name] = { path: repos[name], description: `the repository of the ${name} test` };
  }
  mkdirSync(join(repos.sub, 'packages', 'app'), { recursive: true });
  writeFileSync(join(repos.sub, 'packages', 'app', 'app.txt'), 'app\n');
  git(repos.sub, ['add', '.']);
  git(repos.sub, ['commit', '-q', '-m', 'add app']);
  config.projects.app = { path: join(repos.sub, 'packages', 'app'), description: 'a folder of the repository' };
  writeFileSync(sandbox.configFile, JSON.stringify(config));
  fleet = await startInProcessFleetServer(sandbox);
}, 120_000);

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const COMMIT = (file: string, text: string, subject: string) =>
  `printf '${text}\\n' > ${file} && git add ${file} && git -c user.name=T -c user.email=t@t.invalid commit -q -m "${subject}"`;

async function runAgent(project: string, name: string, snippet: string): Promise<AgentDetails> {
  await fleet.ok('create_agent', { name, project, task: snippet });
  const waited = await fleet.ok('wait_for_agent', { name: name, timeout_seconds: 120 });
  expect(waited.agent.last_task.status).toBe('completed');
  return waited.agent;
}

function head(repo: string, ref = 'main'): string {
  return git(repo, ['rev-parse', ref]);
}

describe("reviewing and landing an agent's work through the MCP tools", { timeout: 180_000 }, () => {
  it('create → wait → show changes → merge → delete: the work lands on main and the merged branch goes', async () => {
    const repo = repos.land;
    const base = head(repo);
    const agent = await runAgent(
      'land',
      'lander',
      `${COMMIT('feature.txt', 'feature', 'add feature')} && echo notes > notes.txt`,
    );
    const autocommit = head(repo, 'fleet/lander');
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
    const leftovers = head(repo, 'fleet/lander');
    expect(git(repo, ['log', '-1', '--format=%P', leftovers])).toBe(autocommit);
    expect(merged).toMatchObject({
      agent: 'lander',
      outcome: 'merged',
      strategy: 'merge',
      target: 'main',
      oldSha: base,
      fastForward: true,
      newSha: leftovers,
      files: ['feature.txt', 'late.txt', 'notes.txt'],
      checkoutUpdated: realpathSync(repo),
      leftovers_committed: { sha: leftovers, files: ['late.txt'] },
    });
    expect(head(repo)).toBe(leftovers);
    expect(readFileSync(join(repo, 'feature.txt'), 'utf8')).toBe('feature\n');
    expect(git(repo, ['status', '--porcelain'])).toBe('');

    const deleted = await fleet.ok('delete_agent', { name: 'lander' });
    expect(deleted).toMatchObject({
      status: 'deleted',
      branch_outcome: { branch: 'fleet/lander', deleted: true, reason: null },
      forced_past: null,
    });
    expect(deleted.status_reason).toMatch(/removed; branch fleet\/lander deleted, its work being in main/);
    expect(git(repo, ['branch', '--list', 'fleet/lander'])).toBe('');
  });

  it('a conflict lists the files and changes nothing; squash then lands one commit; a merge commit when main moved', async () => {
    const repo = repos.clash;
    await Promise.all([
      runAgent('clash', 'clash', COMMIT('README.md', 'agent readme', 'agent edits readme')),
      runAgent('clash', 'squasher', `${COMMIT('one.txt', 'one', 'one')} && ${COMMIT('two.txt', 'two', 'two')}`),
      runAgent('clash', 'merger', COMMIT('three.txt', 'three', 'three')),
    ]);
    writeFileSync(join(repo, 'README.md'), 'main readme\n');
    git(repo, ['commit', '-q', '-am', 'main edits readme']);
    const before = head(repo);

    const conflict = await fleet.ok('merge_agent', { name: 'clash' });
    expect(conflict).toMatchObject({ outcome: 'conflict', files: ['README.md'], target: 'main' });
    expect(conflict.messages.join(' ')).toMatch(/CONFLICT|conflict/i);
    expect(head(repo)).toBe(before);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('main readme\n');
    expect(git(repo, ['status', '--porcelain'])).toBe('');

    const squashed = await fleet.ok('merge_agent', { name: 'squasher', strategy: 'squash' });
    expect(squashed).toMatchObject({
      outcome: 'merged',
      strategy: 'squash',
      oldSha: before,
      fastForward: false,
      files: ['one.txt', 'two.txt'],
    });
    expect(squashed.created).toEqual([squashed.newSha]);
    expect(git(repo, ['log', '-1', '--format=%P%n%s', 'main'])).toBe(
      `${before}\nSquashed work of agent squasher (fleet/squasher)`,
    );
    expect(readFileSync(join(repo, 'two.txt'), 'utf8')).toBe('two\n');

    const mergeCommit = await fleet.ok('merge_agent', { name: 'merger', message: 'Land three' });
    expect(mergeCommit).toMatchObject({ outcome: 'merged', fastForward: false, files: ['three.txt'] });
    expect(git(repo, ['log', '-1', '--format=%P%n%s', 'main'])).toBe(
      `${squashed.newSha} ${head(repo, 'fleet/merger')}\nLand three`,
    );

    const squashDeleted = await fleet.ok('delete_agent', { name: 'squasher' });
    expect(squashDeleted.branch_outcome).toEqual({ branch: 'fleet/squasher', deleted: true, reason: null });
  });

  it('refuses a target checked out with local edits, and an agent that is busy; nothing changes', async () => {
    const repo = repos.refuse;
    await Promise.all([
      runAgent('refuse', 'blocked', COMMIT('x.txt', 'x', 'add x')),
      runAgent('refuse', 'behind', COMMIT('y.txt', 'y', 'add y')),
    ]);
    git(repo, ['commit', '-q', '--allow-empty', '-m', 'main moves on']);
    writeFileSync(join(repo, 'README.md'), 'local edit\n');
    const before = head(repo);

    const refused = await fleet.ok('merge_agent', { name: 'blocked' });
    expect(refused).toMatchObject({ outcome: 'refused', files: ['README.md'] });
    expect(refused.reason).toMatch(/main is checked out in .* with uncommitted changes/);
    expect(head(repo)).toBe(before);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('local edit\n');

    await fleet.ok('start_agent_task', { name: 'behind', task: 'sleep 60' });
    expect(await fleet.fails('merge_agent', { name: 'behind' })).toMatch(
      /Agent "behind" is busy with task "sleep 60"; .*wait_for_agent/,
    );
    expect(head(repo)).toBe(before);
    await fleet.ok('cancel_agent_task', { name: 'behind' });
  });

  it('delete refuses while work would be lost and lists it; force deletes and says what it overrode; a kept branch is named', async () => {
    const repo = repos.keep;
    const careful = await runAgent('keep', 'careful', 'true');
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

    await runAgent('keep', 'keeper', COMMIT('k.txt', 'k', 'keep me'));
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
    expect(git(repo, ['branch', '--list', 'fleet/keeper'])).toContain('fleet/keeper');
  });

  it('lands three agents merged at the same moment one after the other (the repository lock), neither refused', async () => {
    const repo = repos.lock;
    const names = ['left', 'right', 'middle'];
    await Promise.all(names.map((name) => runAgent('lock', name, COMMIT(`${name}.txt`, name, `add ${name}`))));
    const results = await Promise.all(names.map((name) => fleet.ok('merge_agent', { name: name })));
    expect(results.map((result) => result.outcome)).toEqual(['merged', 'merged', 'merged']);
    for (const name of names) expect(readFileSync(join(repo, `${name}.txt`), 'utf8')).toBe(`${name}\n`);
  });

  it('remembers the base across a server restart: merge_agent lands on it though the checkout moved to another branch', async () => {
    const repo = repos.restart;
    await runAgent('restart', 'steady', COMMIT('s.txt', 's', 'add s'));
    await fleet.server.stop();
    git(repo, ['checkout', '-q', '-b', 'elsewhere']);

    // The file's server from here on: the tests after this one see the same fleet, restarted.
    fleet = await startInProcessFleetServer(sandbox);
    const merged = await fleet.ok('merge_agent', { name: 'steady' });
    expect(merged).toMatchObject({ outcome: 'merged', target: 'main', checkoutUpdated: null });
    expect(head(repo, 'main')).toBe(head(repo, 'fleet/steady'));
    expect(head(repo, 'elsewhere')).not.toBe(head(repo, 'main'));
  });

  it('cleanup_fleet_branches deletes merged branches of gone agents and keeps the rest with reasons', async () => {
    const repo = repos.cleanup;
    await runAgent('cleanup', 'live', 'true');
    git(repo, ['branch', 'fleet/merged-old']);
    git(repo, ['checkout', '-q', '-b', 'fleet/unmerged-old']);
    writeFileSync(join(repo, 'u.txt'), 'u\n');
    git(repo, ['add', 'u.txt']);
    git(repo, ['commit', '-q', '-m', 'unmerged']);
    git(repo, ['checkout', '-q', 'main']);

    const result = await fleet.ok('cleanup_fleet_branches', { project: 'cleanup' });
    expect(result).toMatchObject({
      project: 'cleanup',
      into: 'main',
      deleted: [{ branch: 'fleet/merged-old', landed: 'reachable' }],
    });
    expect(result.kept).toEqual(
      expect.arrayContaining([
        { branch: 'fleet/live', deleted: false, reason: 'its agent still exists' },
        { branch: 'fleet/unmerged-old', deleted: false, reason: '1 commit(s) not merged into main' },
      ]),
    );
    expect(git(repo, ['branch', '--format=%(refname:short)']).split('\n').sort()).toEqual([
      'fleet/live',
      'fleet/unmerged-old',
      'main',
    ]);
    expect(await fleet.fails('cleanup_fleet_branches', { project: 'plain' })).toMatch(
      /project "plain" is not in a git repository/,
    );
  });

  it('shows a sub-folder project its own folder by default, and says what a plain folder cannot show', async () => {
    await runAgent('app', 'sub', 'echo inside > inside.txt && echo outside > ../../outside.txt');
    const own = await fleet.ok('show_agent_changes', { name: 'sub' });
    expect(own.pathFilter).toEqual(['packages/app']);
    expect(own.diffstat.committed.perFile.map((file: { path: string }) => file.path)).toEqual([
      'packages/app/inside.txt',
    ]);
    const whole = await fleet.ok('show_agent_changes', { name: 'sub', path: 'outside.txt' });
    expect(whole.diffstat.committed.perFile.map((file: { path: string }) => file.path)).toEqual(['outside.txt']);

    await fleet.ok('create_agent', { name: 'plainly', project: 'plain', role: 'test', task: task({}) });
    await fleet.ok('wait_for_agent', { name: 'plainly', timeout_seconds: 120 });
    const plain = await fleet.ok('show_agent_changes', { name: 'plainly' });
    expect(plain).toMatchObject({ agent: 'plainly', kind: 'not_git' });
    expect(plain.message).toMatch(
      /is not in a git repository, so there is no base, branch, commit list or diff to show/,
    );
    expect(await fleet.fails('merge_agent', { name: 'plainly' })).toMatch(
      /not a git repository: there is no branch to merge/,
    );
    expect((await fleet.ok('delete_agent', { name: 'plainly' })).branch_outcome).toBeNull();
  });
});
