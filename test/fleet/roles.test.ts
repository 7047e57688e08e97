import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLES, resolveRoles, rolesConfigSchema, taskArgv } from '../../src/fleet/roles.js';
import { stdinTemplate } from '../../src/fleet/tasks/questions/claude-stdio.js';
import { unprotectedTaskRoles } from '../../src/fleet/tasks/task-option-guard.js';

const binDir = mkdtempSync(join(tmpdir(), 'fleet-bin-'));
for (const name of ['claude', 'aider']) {
  writeFileSync(join(binDir, name), '#!/bin/sh\n');
  chmodSync(join(binDir, name), 0o755);
}
afterAll(() => rmSync(binDir, { recursive: true, force: true }));
const claudePreset = [...BUILTIN_ROLES.find((role) => role.name === 'claude')!.command];

function names(config: unknown, pathEnv = binDir): string[] {
  return resolveRoles(rolesConfigSchema.parse(config), { pathEnv }).map((role) => role.name);
}

describe('roles', () => {
  it('offers the built-in presets whose binary is on PATH, and none without one', () => {
    expect(names({})).toEqual(['claude', 'aider']);
    expect(names({}, '')).toEqual([]);
    const [claude] = resolveRoles(undefined, { pathEnv: binDir });
    expect(claude).toMatchObject({
      command: claudePreset,
      source: 'builtin',
      timeout: '2h',
      idle_timeout: '15m',
      projects: null,
    });
  });

  it('lets the config override, disable and add roles', () => {
    const roles = resolveRoles(
      rolesConfigSchema.parse({
        claude: { timeout: '1h30m', env: { CLAUDE_FLAG: '1' } },
        aider: { disabled: true },
        codex: { command: ['/opt/codex', 'exec', '{task}'] },
        reviewer: {
          command: ['claude', '-p', 'Review: {task}'],
          description: 'reviews',
          default: true,
          projects: ['web'],
        },
      }),
      { pathEnv: binDir },
    );
    expect(roles.map((role) => role.name)).toEqual(['claude', 'codex', 'reviewer']);
    expect(roles[0]).toMatchObject({
      timeout: '1h30m',
      timeout_ms: 5_400_000,
      env: { CLAUDE_FLAG: '1' },
      command: claudePreset,
    });
    expect(roles[1]).toMatchObject({ source: 'config', command: ['/opt/codex', 'exec', '{task}'] });
    expect(roles[2]).toMatchObject({ default: true, projects: ['web'], description: 'reviews' });
  });

  it.each([
    [{ mine: {} }, /command is required/],
    [{ mine: { command: ['tool', '--run'] } }, /must contain \{task\}/],
    [{ mine: { command: [] } }, /must name a program/],
    [
      { a: { command: ['x', '{task}'], default: true }, b: { command: ['y', '{task}'], default: true } },
      /only one role may be the default/,
    ],
    [{ mine: { command: ['x', '{task}'], timeout: '2 hours' } }, /timeout must be a duration such as/],
    [{ mine: { command: ['x', '{task}'], timeout: '0s' } }, /above zero/],
    [{ mine: { command: ['x', '{task}'], idle_timeout: 'never' } }, /idle_timeout must be a duration such as/],
    [{ mine: { command: ['x', '{task}'], output: 'json' } }, /output must be one of text, claude/],
    [{ mine: { command: ['x', '{task}'], shell: true } }, /Unrecognized key/],
    [{ 'bad name': { command: ['x', '{task}'] } }, /role names are/],
  ])('rejects an invalid config %j', (config, message) => {
    const result = rolesConfigSchema.safeParse(config);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it('puts the task text inside argv elements, literally', () => {
    const [role] = resolveRoles(rolesConfigSchema.parse({ r: { command: ['agent', '--message={task}', '{task}'] } }), {
      pathEnv: '',
    });
    const text = '$(rm -rf ~) {task} {workdir} "quoted"';
    expect(taskArgv(role!.command, { task: text, workdir: '/w', git_dir: null, git_common_dir: null })).toEqual([
      'agent',
      `--message=${text}`,
      text,
    ]);
  });

  it('fills {workdir}, {git_dir} and {git_common_dir}, and leaves out an element whose placeholder has no value', () => {
    const [role] = resolveRoles(
      rolesConfigSchema.parse({
        r: { command: ['agent', '--cd={workdir}', '--add-dir={git_common_dir}', '--git={git_dir}', '--', '{task}'] },
      }),
      { pathEnv: '' },
    );
    const values = { task: 'do it', workdir: '/w/a', git_dir: '/r/.git/worktrees/a', git_common_dir: '/r/.git' };
    expect(taskArgv(role!.command, values)).toEqual([
      'agent',
      '--cd=/w/a',
      '--add-dir=/r/.git',
      '--git=/r/.git/worktrees/a',
      '--',
      'do it',
    ]);
    expect(taskArgv(role!.command, { ...values, git_dir: null, git_common_dir: null })).toEqual([
      'agent',
      '--cd=/w/a',
      '--',
      'do it',
    ]);
  });

  it('gives every role a timeout and an idle timeout, which "none" turns off', () => {
    const [plain, unlimited, own] = resolveRoles(
      rolesConfigSchema.parse({
        plain: { command: ['x', '{task}'] },
        unlimited: { command: ['x', '{task}'], timeout: 'none', idle_timeout: 'none' },
        own: { command: ['x', '{task}'], timeout: '3h', idle_timeout: '90s', output: 'claude' },
      }),
      { pathEnv: '' },
    );
    expect(plain).toMatchObject({
      timeout: '2h',
      timeout_ms: 7_200_000,
      idle_timeout: '15m',
      idle_timeout_ms: 900_000,
      output: 'text',
    });
    expect(unlimited).toMatchObject({ timeout: null, timeout_ms: null, idle_timeout: null, idle_timeout_ms: null });
    expect(own).toMatchObject({ timeout: '3h', idle_timeout: '90s', idle_timeout_ms: 90_000, output: 'claude' });
  });

  it('names the roles whose task text could be taken for an option', () => {
    const roles = resolveRoles(
      rolesConfigSchema.parse({
        bare: { command: ['x', '-p', '{task}'] },
        marked: { command: ['x', '-p', '--', '{task}'] },
        joined: { command: ['x', '--message={task}'] },
        prefixed: { command: ['x', 'Review: {task}'] },
      }),
      { pathEnv: '' },
    );
    expect(unprotectedTaskRoles(roles).map((role) => role.name)).toEqual(['bare']);
  });
});

describe('continue_command', () => {
  const values = { task: 'go on', workdir: '/w', git_dir: null, git_common_dir: null };

  it('{session_id} is replaced by the previous session id, and an element holding it is left out without one', () => {
    const argv = ['cli', 'resume', '--session={session_id}', '--', '{task}'];
    expect(taskArgv(argv, { ...values, session_id: 'ses_1' })).toEqual([
      'cli',
      'resume',
      '--session=ses_1',
      '--',
      'go on',
    ]);
    expect(taskArgv(argv, { ...values, session_id: null })).toEqual(['cli', 'resume', '--', 'go on']);
  });

  it('a continue_command where the task text could be read as an option is warned about like a command', () => {
    const roles = resolveRoles(
      { safe: { command: ['cli', '--', '{task}'], continue_command: ['cli', '--continue', '{task}'] } },
      { pathEnv: '' },
    );
    expect(unprotectedTaskRoles(roles).map((role) => role.name)).toEqual(['safe']);
  });

  it('every built-in continue_command keeps the task text after "--" or in --name={task} form', () => {
    const roles = resolveRoles(
      Object.fromEntries(
        BUILTIN_ROLES.map((role) => [
          role.name,
          { command: [...role.command], continue_command: role.continue_command ? [...role.continue_command] : null },
        ]),
      ),
      { pathEnv: '' },
    );
    expect(unprotectedTaskRoles(roles)).toEqual([]);
  });
});

describe('questions', () => {
  function role(config: unknown, name = 'claude') {
    return resolveRoles(rolesConfigSchema.parse(config), { pathEnv: binDir }).find((item) => item.name === name)!;
  }

  it("only the claude preset's own commands ask, with the task on stdin instead of after --", () => {
    const claude = role({ claude: { timeout: '1h' } });
    expect(claude.questions).toBe('claude-stdio');
    expect(role({ claude: { command: ['claude', '-p', '--', '{task}'] } }).questions).toBeNull();
    expect(role({ claude: { continue_command: ['claude', '-p', '-c', '--', '{task}'] } }).questions).toBeNull();
    expect(role({}, 'aider').questions).toBeNull();
    expect(rolesConfigSchema.safeParse({ claude: { questions: 'claude-stdio' } }).success).toBe(false);
    for (const template of [claude.command, claude.continue_command!, claude.sandbox.command!]) {
      const argv = stdinTemplate(template)!;
      expect(argv.slice(0, template.length - 2)).toEqual(template.slice(0, -2));
      expect(argv.slice(template.length - 2)).toEqual([
        '--input-format=stream-json',
        '--permission-prompt-tool=stdio',
        '--disallowedTools=EnterPlanMode,ExitPlanMode',
      ]);
    }
    expect(stdinTemplate(['claude', '-p', '{task}'])).toBeNull();
    expect(stdinTemplate(['claude', '--append-system-prompt={task}', '--', '{task}'])).toBeNull();
  });
});
