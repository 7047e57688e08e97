import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_ROLES, resolveRoles } from '../../src/fleet/roles.js';
import { git, logTexts, Sandbox } from './helpers.js';

// The built-in presets' argv, run against fakes that parse arguments like the real CLIs (test/fakes): a preset
// that let a task text be read as an option, or asked for a mode the CLI refuses, fails here.
const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
const PRESETS = ['claude', 'opencode'] as const;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.cleanup();
  sandbox = undefined;
});

async function presetFleet() {
  const own = new Sandbox();
  sandbox = own;
  const bin = own.dir('fleet-fakes-');
  for (const name of PRESETS) symlinkSync(join(FAKES, `${name}.mjs`), join(bin, name));
  const repo = own.gitRepo();
  const identity = {
    GIT_AUTHOR_NAME: 'Fake Agent',
    GIT_AUTHOR_EMAIL: 'agent@test.invalid',
    GIT_COMMITTER_NAME: 'Fake Agent',
    GIT_COMMITTER_EMAIL: 'agent@test.invalid',
  };
  const fleet = await own.fleet({
    projects: [{ name: 'repo', path: repo, description: 'a git repository' }],
    roles: resolveRoles(undefined, { pathEnv: bin }),
    baseEnv: { ...process.env, ...identity, PATH: `${bin}:${process.env.PATH}` },
  });
  return { fleet, repo };
}

describe.each(PRESETS)('the built-in %s preset', (preset) => {
  it('is offered with the argv the fake accepts', () => {
    expect(BUILTIN_ROLES.find((role) => role.name === preset)?.output).toBe(preset);
    const fake = join(FAKES, `${preset}.mjs`);
    const argv = BUILTIN_ROLES.find((role) => role.name === preset)!
      .command.slice(1)
      .map((arg) => arg.replace('{task}', 'say hi'));
    expect(execFileSync(process.execPath, [fake, ...argv], { encoding: 'utf8' })).toContain('prompt: ');
  });

  it('writes a file and commits it on the agent branch in a linked worktree', async () => {
    const { fleet, repo } = await presetFleet();
    await fleet.createAgent({
      name: 'writer',
      project: 'repo',
      role: preset,
      task: "write notes/hello.txt: hello\nrun: git add -A && git commit -q -m 'Add hello'",
    });
    const { agent } = await fleet.waitForAgent('writer', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(git(repo, ['log', '--format=%s', 'main..fleet/writer'])).toBe('Add hello');
    expect(git(repo, ['show', 'fleet/writer:notes/hello.txt'])).toBe('hello');
  });

  it.each(['- fix the test', '--version'])(
    'hands the task text %j to the CLI as its prompt, never as an option',
    async (text) => {
      const { fleet } = await presetFleet();
      await fleet.createAgent({ name: 'prompted', project: 'repo', role: preset, task: text });
      const { agent } = await fleet.waitForAgent('prompted', 20_000);
      expect(agent.last_task).toMatchObject({ status: 'completed', exit_code: 0 });
      const log = (await logTexts(fleet, 'prompted')).join('\n');
      expect(log).toContain('prompt: ');
      expect(log).toContain(text);
      expect(log).not.toMatch(/^(2\.1\.332 \(Claude Code\)|1\.18\.33)$/m);
    },
  );
});

describe('the fakes', () => {
  it.each([
    ['claude', ['-p', '--bogus', '--', 'hi'], /^error: unknown option '--bogus'$/m],
    ['claude', ['-p', '- fix the test'], /^error: unknown option '- fix the test'$/m],
    ['claude', ['-p', '--output-format=stream-json', '--', 'hi'], /requires --verbose/],
    ['opencode', ['run', '--bogus', '--', 'hi'], /^opencode run \[message\.\.\]$/m],
  ])('refuse what the real %s refuses: %j', (name, args, message) => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [join(FAKES, `${name}.mjs`), ...args], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toMatch(message);
  });
});
