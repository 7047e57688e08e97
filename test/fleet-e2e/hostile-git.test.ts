import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { git } from '../fleet/helpers.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import type { FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';
import { createShellFleet, runTask, SHELL } from './shell-fleet.js';

// Hostile agents against the git fleet-mcp runs on their work: each agent's task text is the attack, run through
// the real server and the real bwrap. An attack that gets out leaves a marker file, which only a process outside
// the sandbox can write (the sandbox sees the whole file system read-only). Where an attack needs the server's
// help to get out, it is also run unsandboxed as a control, which must leave its marker: so the probe can tell.

const BWRAP = probeBwrap(process.env.PATH);
// A skip says why: the whole file once skipped in a full run where bwrap worked for every other file.
if (BWRAP.problem !== undefined && !process.env.CI) console.warn(`hostile-git skipped: ${BWRAP.problem}`);
const roots: string[] = [];
let fleet: FleetSandbox;
let server: InProcessFleetServer;
let checkMark: string;

beforeAll(async () => {
  const roles = { jailed: { command: SHELL, sandbox: true, default: true }, open: { command: SHELL, sandbox: false } };
  // The project's check refuses a branch with a file refuse-merge, and leaves a marker where it can write one.
  const check = `if [ -e refuse-merge ]; then echo "check says: refuse"; exit 3; fi; touch "$CHECK_MARK" 2>/dev/null; exit 0`;
  const root = mkdtempSync('/var/tmp/fleet-mcp-hostile-git-marks-');
  roots.push(root);
  checkMark = join(root, 'check-ran-outside');
  fleet = createShellFleet('fleet-mcp-hostile-git', roles, {
    check: { command: ['/usr/bin/env', `CHECK_MARK=${checkMark}`, '/bin/sh', '-c', check] },
  });
  roots.push(fleet.sandbox.root);
  server = await startInProcessFleetServer(fleet);
});

afterAll(async () => {
  await stopInProcessServers();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  expectNoSecretInLogs();
});

function marker(name: string): string {
  return join(fleet.sandbox.root, `escaped-${name}`);
}

/** Everything a repository's config can make git run, pointed at a script that leaves `mark`; then work left uncommitted. */
function configAttack(mark: string): string {
  return [
    'set -e',
    'E="$PWD/.git/evil.sh"',
    `printf '#!/bin/sh\\ntouch "%s" 2>/dev/null\\ncat\\n' '${mark}' > "$E"`,
    'chmod +x "$E"',
    'git config core.fsmonitor "$E"',
    'git config filter.evil.clean "$E"',
    'git config filter.evil.smudge "$E"',
    'git config diff.evil.textconv "$E"',
    'git config diff.external "$E"',
    'git config core.hooksPath "$PWD/.git/evil-hooks"',
    'mkdir -p .git/evil-hooks && for h in pre-commit post-commit reference-transaction post-index-change; do cp "$E" ".git/evil-hooks/$h"; done',
    // What `git sparse-checkout init` turns on: a config file of the worktree's own.
    'git config core.repositoryformatversion 1 && git config extensions.worktreeConfig true && git config --worktree core.fsmonitor "$E"',
    `echo '* filter=evil diff=evil' > .gitattributes`,
    // A nested repository, added as a gitlink, whose own fsmonitor a recursing `git status` would run.
    'mkdir nested && (cd nested && git init -q && echo n > f && git add f && git -c user.name=a -c user.email=a@x commit -qm n && git config core.fsmonitor "$E")',
    'git add nested && echo dirty > nested/f',
    'echo change >> README.md',
    'echo RIGGED',
  ].join('\n');
}

// Each test runs several sandboxed tasks one after the other, each a few seconds on a busy machine.
describe.skipIf(BWRAP.problem !== undefined && !process.env.CI)(
  'hostile agents against the git fleet-mcp runs (bwrap)',
  { timeout: 240_000 },
  () => {
    it("runs nothing an agent's repository configures outside its sandbox: fsmonitor, filters, textconv, hooks, worktree config, nested repositories", async () => {
      // The control and the attack are separate agents: they run at once.
      const [open, jailed] = await Promise.all([
        runTask(server, 'control', 'open', configAttack(marker('control'))),
        runTask(server, 'rigged', 'jailed', configAttack(marker('rigged'))),
      ]);
      expect(open.lines).toContain('RIGGED');
      expect(existsSync(marker('control'))).toBe(true);

      expect(jailed.lines).toEqual(
        expect.arrayContaining(['sandboxed by bwrap, network on, host loopback ports: none', 'RIGGED']),
      );
      expect(jailed.task.uncommitted_changes).toBe(true);
      const changes = await server.ok('show_agent_changes', { name: 'rigged' });
      expect(changes.branch.name).toBe('fleet/rigged');
      await server.ok('merge_agent', { name: 'rigged', strategy: 'squash' });
      await server.ok('delete_agent', { name: 'rigged', force: true });
      expect(existsSync(marker('rigged'))).toBe(false);
    });

    it("keeps the user's refs out of reach: a HEAD or a branch pointed at main moves and deletes nothing of the user's", async () => {
      git(fleet.repo, ['branch', '-f', 'release', 'main']);
      const before = git(fleet.repo, [
        'for-each-ref',
        '--format=%(refname) %(objectname)',
        'refs/heads/main',
        'refs/heads/release',
      ]);
      const headAway = await runTask(
        server,
        'headaway',
        'jailed',
        'git symbolic-ref HEAD refs/heads/main && echo stray > stray.txt && echo POINTED',
      );
      expect(headAway.lines).toContain('POINTED');
      expect(headAway.lines).toContain(
        'what the task left uncommitted was not committed: agent "headaway" pointed its HEAD at refs/heads/main instead of refs/heads/fleet/headaway; nothing was committed',
      );
      await server.ok('delete_agent', { name: 'headaway', force: true });

      for (const target of ['main', 'release']) {
        const script = `git update-ref refs/heads/${target} HEAD && git symbolic-ref refs/heads/fleet/to-${target} refs/heads/${target} && echo LINKED`;
        const linked = await runTask(server, `to-${target}`, 'jailed', script);
        expect(linked.lines).toContain('LINKED');
        const deleted = await server.ok('delete_agent', { name: `to-${target}` });
        expect(deleted.branch_outcome).toMatchObject({ branch: `fleet/to-${target}`, deleted: true });
      }
      expect(
        git(fleet.repo, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/main', 'refs/heads/release']),
      ).toBe(before);
      expect(git(fleet.repo, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
      await runTask(server, 'after', 'jailed', 'echo STILL-WORKS');
      await server.ok('delete_agent', { name: 'after', force: true });
    });

    it("runs the project's check in the agent's sandbox before a merge, and merges nothing when it fails", async () => {
      await runTask(server, 'checked', 'jailed', 'touch refuse-merge && echo work > work.txt');
      const main = git(fleet.repo, ['rev-parse', 'main']);
      const refused = await server.ok('merge_agent', { name: 'checked' });
      expect(refused).toMatchObject({ outcome: 'refused' });
      expect(refused.reason).toContain(`the project's check "/usr/bin/env CHECK_MARK=`);
      expect(refused.reason).toContain(
        'failed with exit code 3, so nothing was merged; its last output:\ncheck says: refuse',
      );
      expect(git(fleet.repo, ['rev-parse', 'main'])).toBe(main);
      // A clean checkout of another branch would pass the check while its own branch, the one merged, would not.
      const dodge =
        'git checkout -q -b dodge && git rm -q refuse-merge && git -c user.name=a -c user.email=a@x commit -qm dodge';
      await server.ok('start_agent_task', { name: 'checked', task: dodge });
      await server.ok('wait_for_agent', { name: 'checked', timeout_seconds: 60 });
      const dodged = await server.ok('merge_agent', { name: 'checked' });
      expect(dodged).toMatchObject({ outcome: 'refused' });
      expect(dodged.reason).toContain(
        'the project\'s check runs on what would be merged, and agent "checked" has refs/heads/dodge at',
      );
      expect(git(fleet.repo, ['rev-parse', 'main'])).toBe(main);
      await server.ok('start_agent_task', {
        name: 'checked',
        task: 'git checkout -q fleet/checked && git rm -q refuse-merge',
      });
      await server.ok('wait_for_agent', { name: 'checked', timeout_seconds: 60 });
      expect(await server.ok('merge_agent', { name: 'checked', strategy: 'squash' })).toMatchObject({
        outcome: 'merged',
      });
      await server.ok('delete_agent', { name: 'checked' });
      expect(existsSync(checkMark)).toBe(false);
    });

    it('merges only the commit the lead reviewed', async () => {
      await runTask(
        server,
        'mover',
        'jailed',
        'echo one > one.txt && git add one.txt && git -c user.name=a -c user.email=a@x commit -qm one',
      );
      const reviewed = (await server.ok('show_agent_changes', { name: 'mover' })).branch.commit;
      await server.ok('start_agent_task', {
        name: 'mover',
        task: 'echo two > two.txt && git add two.txt && git -c user.name=a -c user.email=a@x commit -qm two',
      });
      const moved = await server.ok('wait_for_agent', { name: 'mover', timeout_seconds: 60 });
      // The branch must have moved for the refusal below to mean anything: if the task did not get there, say why.
      const log = await server.ok('show_agent_log', { name: 'mover', page_size: 200 });
      const told = JSON.stringify({
        task: moved.agent.last_task,
        log: log.lines.map((line: { text: string }) => line.text),
      });
      expect(moved.agent.last_task, told).toMatchObject({ status: 'completed' });
      expect((await server.ok('show_agent_changes', { name: 'mover' })).branch.commit, told).not.toBe(reviewed);
      const main = git(fleet.repo, ['rev-parse', 'main']);
      expect(await server.fails('merge_agent', { name: 'mover', commit: reviewed })).toContain(
        `not at the reviewed ${reviewed}: it moved since`,
      );
      expect(git(fleet.repo, ['rev-parse', 'main'])).toBe(main);
      const now = (await server.ok('show_agent_changes', { name: 'mover' })).branch.commit;
      const merged = await server.ok('merge_agent', { name: 'mover', commit: now.slice(0, 12), strategy: 'squash' });
      // The whole answer on failure: a refusal's reason says why.
      expect(merged, JSON.stringify(merged)).toMatchObject({ outcome: 'merged' });
      await server.ok('delete_agent', { name: 'mover' });
    });

    it("leaves the user's objects alone: a stored object cannot be replaced, and a malformed one never arrives", async () => {
      const readme = git(fleet.repo, ['rev-parse', 'main:README.md']);
      const content = git(fleet.repo, ['show', 'main:README.md']);
      const replace = [
        `for f in $(find ${fleet.repo}/.git/objects -type f); do chmod u+w "$f" 2>/dev/null; echo junk > "$f" 2>/dev/null && echo REPLACED; done`,
        // Its own copy of the object, under the same name with other content: it can only mislead its own repository.
        `d=.git/objects/$(echo ${readme} | cut -c1-2); mkdir -p "$d"; echo junk > "$d/$(echo ${readme} | cut -c3-)"`,
        'echo TRIED',
      ].join('\n');
      // A tree with a `.git` entry: what a checkout of it would write is git's own config.
      const malformed = [
        'blob=$(echo "[core] fsmonitor = evil" | git hash-object -w --stdin)',
        `tree=$(printf '100644 blob %s\\t.git\\n' "$blob" | git mktree)`,
        'commit=$(git -c user.name=a -c user.email=a@x commit-tree -p HEAD -m evil "$tree")',
        'git update-ref "$(git symbolic-ref HEAD)" "$commit" && echo PLANTED',
      ].join('\n');
      const base = git(fleet.repo, ['rev-parse', 'main']);
      // Two agents, two attacks: they run at once.
      const [replaced, planted] = await Promise.all([
        runTask(server, 'replacer', 'jailed', replace),
        runTask(server, 'planter', 'jailed', malformed),
      ]);
      expect(replaced.lines).toContain('TRIED');
      expect(replaced.lines).not.toContain('REPLACED');
      expect(git(fleet.repo, ['show', 'main:README.md'])).toBe(content);
      git(fleet.repo, ['fsck', '--no-progress']);
      await server.ok('delete_agent', { name: 'replacer', force: true });

      expect(planted.lines).toContain('PLANTED');
      expect(
        planted.lines.some((line) =>
          line.startsWith(
            'what the task changed could not be read: the branch fleet/planter of agent "planter" could not be fetched',
          ),
        ),
      ).toBe(true);
      expect(git(fleet.repo, ['rev-parse', 'fleet/planter'])).toBe(base);
      expect(await server.fails('merge_agent', { name: 'planter' })).toContain(
        'could not be fetched from its repository',
      );
      await server.ok('delete_agent', { name: 'planter', force: true });
    });

    it('writes nothing through a link the agent planted in its repository', async () => {
      const plant = (target: string) =>
        [
          'B=$(git symbolic-ref HEAD)',
          'L=".git/logs/$B"',
          'mkdir -p "$(dirname "$L")"',
          'rm -f "$L"',
          `ln -s '${target}' "$L"`,
          'echo x > leftover.txt',
          'echo LINKED',
        ].join('\n');
      const [open, jailed] = await Promise.all([
        runTask(server, 'linkcontrol', 'open', plant(marker('linkcontrol'))),
        runTask(server, 'linker', 'jailed', plant(marker('linker'))),
      ]);
      expect(open.lines).toContain('LINKED');
      expect(existsSync(marker('linkcontrol'))).toBe(true);

      expect(jailed.lines).toContain('LINKED');
      await server.ok('show_agent_changes', { name: 'linker' });
      await server.ok('delete_agent', { name: 'linker', force: true });
      expect(existsSync(marker('linker'))).toBe(false);
    });

    it("runs none of the user's hooks when a merged branch brings them (core.hooksPath=.husky)", async () => {
      git(fleet.repo, ['config', 'core.hooksPath', '.husky']);
      const hooks = ['reference-transaction', 'post-merge', 'post-checkout', 'pre-commit', 'post-commit'];
      const script = [
        'mkdir -p .husky',
        ...hooks.map((hook) => `printf '#!/bin/sh\\ntouch "%s"\\n' '${marker('husky')}' > .husky/${hook}`),
        'chmod +x .husky/*',
        'git add .husky && git -c user.name=a -c user.email=a@x commit -qm husky && echo HOOKED',
      ].join('\n');
      const hooked = await runTask(server, 'husky', 'jailed', script);
      expect(hooked.lines).toContain('HOOKED');
      const merged = await server.ok('merge_agent', { name: 'husky', strategy: 'merge' });
      expect(merged.outcome).toBe('merged');
      expect(existsSync(join(fleet.repo, '.husky', 'post-merge'))).toBe(true);
      await server.ok('delete_agent', { name: 'husky' });
      await runTask(server, 'afterhusky', 'jailed', 'echo more > more.txt');
      await server.ok('merge_agent', { name: 'afterhusky', strategy: 'squash' });
      await server.ok('delete_agent', { name: 'afterhusky' });
      expect(existsSync(marker('husky'))).toBe(false);
      git(fleet.repo, ['config', '--unset', 'core.hooksPath']);
    });
  },
);
