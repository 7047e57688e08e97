import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { resolveRoles } from '../../src/fleet/roles.js';
import { Sandbox, git } from './helpers.js';

// The codex and gemini presets, run by the fleet against fakes that parse their arguments like the real CLIs
// (scripts/verify-agents proves the same presets against the real ones).
const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Fake Agent',
  GIT_AUTHOR_EMAIL: 'agent@test.invalid',
  GIT_COMMITTER_NAME: 'Fake Agent',
  GIT_COMMITTER_EMAIL: 'agent@test.invalid',
};

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = new Sandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

/** A directory holding `codex` and `gemini`, the fakes under the names the presets run. */
function fakeBin(): string {
  const bin = sandbox.dir('fleet-fake-bin-');
  for (const cli of ['codex', 'gemini']) symlinkSync(join(FAKES, `${cli}.mjs`), join(bin, cli));
  return bin;
}

async function presetFleet(projectPath: string) {
  const bin = fakeBin();
  return sandbox.fleet({
    projects: [{ name: 'project', path: projectPath, description: '' }],
    roles: resolveRoles(undefined, { pathEnv: bin }),
    baseEnv: { ...process.env, ...IDENTITY, PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
}

describe.each(['codex', 'gemini'])('the built-in %s preset', (cli) => {
  test.each(['- fix the test', '--version'])(
    'commits on the agent branch in a linked worktree, with %j as the prompt',
    async (text) => {
      const repo = sandbox.gitRepo();
      const fleet = await presetFleet(repo);
      await fleet.createAgent({ name: 'worker', project: 'project', role: cli, task: text });
      const { agent } = await fleet.waitForAgent('worker', 20_000);
      expect(agent.last_task).toMatchObject({ status: 'completed', exit_code: 0 });
      expect(git(repo, ['log', '--format=%s', 'main..fleet/worker'])).toBe(`fake agent: ${text}`);
      expect(git(repo, ['show', 'fleet/worker:fake-agent-task.txt'])).toBe(text);
    },
  );

  test('works in a project that is not a git repository', async () => {
    const plain = sandbox.dir('fleet-plain-');
    const fleet = await presetFleet(plain);
    await fleet.createAgent({ name: 'plain', project: 'project', role: cli, task: 'write the file' });
    const { agent } = await fleet.waitForAgent('plain', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(readFileSync(join(plain, 'fake-agent-task.txt'), 'utf8')).toBe('write the file\n');
  });
});

describe('the fakes refuse what the real CLIs refuse', () => {
  const run = (cli: string, args: string[], cwd: string) =>
    spawnSync(process.execPath, [join(FAKES, `${cli}.mjs`), ...args], { cwd, encoding: 'utf8' });

  test('codex: an unknown option and a task that starts with "-" outside `--` are usage errors (exit 2)', () => {
    const dir = sandbox.dir();
    expect(run('codex', ['exec', '--bogus', 'x'], dir)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/^error: unexpected argument '--bogus' found/),
    });
    expect(run('codex', ['exec', '--skip-git-repo-check', '-', 'fix'], dir)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/^error: unexpected argument 'fix' found/),
    });
    expect(run('codex', ['exec', 'x'], dir)).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('--skip-git-repo-check was not specified'),
    });
  });

  test('codex: the default read-only sandbox makes the scripted write fail', () => {
    const result = run('codex', ['exec', '--json', '--skip-git-repo-check', '--', 'x'], sandbox.dir());
    expect(result.stdout).toContain('"status":"failed"');
  });

  test('gemini: an unknown option, "-p" before a dash task and an untrusted directory are refused', () => {
    const dir = sandbox.dir();
    expect(run('gemini', ['--skip-trust', '--bogus', '-p', 'x'], dir)).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('Unknown argument: bogus'),
    });
    expect(run('gemini', ['--skip-trust', '-p', '- fix'], dir)).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('Not enough arguments following: p'),
    });
    expect(run('gemini', ['-p', 'x'], dir).status).toBe(55);
  });

  test('gemini: without yolo a headless run has no write or shell tool', () => {
    const result = run('gemini', ['--skip-trust', '--output-format=stream-json', '-p', 'x'], sandbox.dir());
    expect(result.stdout).toContain('"type":"tool_not_registered"');
  });
});
