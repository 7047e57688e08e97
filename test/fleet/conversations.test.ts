import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Fleet } from '../../src/fleet/fleet.js';
import { BUILTIN_ROLES, resolveRoles } from '../../src/fleet/roles.js';
import { Sandbox, allLogLines } from './helpers.js';

// Follow-up tasks continue the agent's conversation through each preset's continue_command, run against fakes that
// parse the continue flags like the real CLIs and remember their sessions (scripts/verify-agents proves the same
// against the real CLIs: the model sees the earlier turns).
const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Fake Agent',
  GIT_AUTHOR_EMAIL: 'agent@test.invalid',
  GIT_COMMITTER_NAME: 'Fake Agent',
  GIT_COMMITTER_EMAIL: 'agent@test.invalid',
};
const CLIS = ['claude', 'codex', 'gemini', 'opencode'] as const;

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = new Sandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

async function presetFleet(rolesConfig = {}): Promise<Fleet> {
  const bin = sandbox.dir('fleet-fake-bin-');
  for (const cli of CLIS) symlinkSync(join(FAKES, `${cli}.mjs`), join(bin, cli));
  return sandbox.fleet({
    projects: [{ name: 'project', path: sandbox.gitRepo(), description: '' }],
    roles: resolveRoles(rolesConfig, { pathEnv: bin }),
    baseEnv: {
      ...process.env,
      ...IDENTITY,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      FAKE_AGENT_SESSIONS: sandbox.dir('fleet-sessions-'),
    },
  });
}

async function runTask(fleet: Fleet, text: string, fresh?: boolean) {
  await fleet.startTask('worker', text, fresh === undefined ? {} : { freshConversation: fresh });
  return (await fleet.waitForAgent('worker', 20_000)).agent.last_task!;
}

describe.each(CLIS)('the %s preset', (cli) => {
  test('continues the conversation in a follow-up, and starts a fresh one when asked', async () => {
    const fleet = await presetFleet();
    await fleet.createAgent({ name: 'worker', project: 'project', role: cli, task: 'first turn' });
    const first = (await fleet.waitForAgent('worker', 20_000)).agent.last_task!;
    expect(first).toMatchObject({ status: 'completed', continued_conversation: false });

    const second = await runTask(fleet, 'second turn');
    expect(second).toMatchObject({
      status: 'completed',
      continued_conversation: true,
      final_message: expect.stringMatching(/continued after: "?first turn/),
    });
    const started = (await allLogLines(fleet, 'worker')).find(
      (line) => line.task_id === second.id && line.stream === 'system',
    )!;
    expect(started.text).toContain('continuing');

    const third = await runTask(fleet, 'third turn', true);
    expect(third).toMatchObject({ status: 'completed', continued_conversation: false, fresh_conversation: true });
    expect(third.final_message).not.toContain('continued after');
  });
});

test('a role without continue_command starts every task fresh, and says so in the log', async () => {
  const fleet = await presetFleet({ claude: { continue_command: null } });
  await fleet.createAgent({ name: 'worker', project: 'project', role: 'claude', task: 'first turn' });
  await fleet.waitForAgent('worker', 20_000);
  const second = await runTask(fleet, 'second turn');
  expect(second).toMatchObject({ status: 'completed', continued_conversation: false });
  expect(second.final_message).not.toContain('continued after');
  expect((await allLogLines(fleet, 'worker')).map((line) => line.text)).toContain(
    `task ${second.id} started with role "claude" in ${fleet.showAgent('worker').workdir} (fresh conversation: role "claude" has no continue_command)`,
  );
});

test('a built-in role given its own command does not keep the preset continue_command', () => {
  const roles = resolveRoles({ claude: { command: ['claude', '-p', '--', '{task}'] } }, { pathEnv: '' });
  expect(roles.find((role) => role.name === 'claude')?.continue_command).toBeNull();
  const preset = BUILTIN_ROLES.find((role) => role.name === 'claude')!;
  expect(preset.continue_command).toContain('--continue');
});

describe('the fakes refuse continue flags the real CLIs refuse', () => {
  const run = (cli: string, args: string[]) =>
    spawnSync(process.execPath, [join(FAKES, `${cli}.mjs`), ...args], {
      cwd: sandbox.dir(),
      encoding: 'utf8',
      env: { ...process.env, FAKE_AGENT_SESSIONS: sandbox.dir() },
    });

  test('codex exec resume has no --sandbox or --add-dir, and needs a session it knows', () => {
    expect(run('codex', ['exec', 'resume', '--sandbox=workspace-write', '--', 'id', 'x'])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/^error: unexpected argument '--sandbox' found/),
    });
    expect(run('codex', ['exec', 'resume', '--add-dir=/x', '--', 'id', 'x'])).toMatchObject({ status: 2 });
    expect(run('codex', ['exec', 'resume', '--skip-git-repo-check', '--', 'no-such-id', 'x'])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('no rollout found'),
    });
  });

  test('claude --continue, gemini --resume latest and opencode --session need an earlier session', () => {
    expect(run('claude', ['-p', '--continue', '--', 'x'])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('No conversation found to continue'),
    });
    expect(run('gemini', ['--skip-trust', '--resume=latest', '--prompt=x'])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('No previous sessions'),
    });
    expect(run('opencode', ['run', '--session=ses_none', '--', 'x'])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('Session not found'),
    });
    expect(run('opencode', ['run', '--resume', '--', 'x'])).toMatchObject({ status: 1 });
  });
});
