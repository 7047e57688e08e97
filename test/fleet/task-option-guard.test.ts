import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FleetLogger } from '../../src/fleet/logger.js';
import { BUILTIN_ROLES, resolveRoles, rolesConfigSchema, type RolesConfig } from '../../src/fleet/roles.js';
import { readsTaskAsOption, unprotectedTaskRoles } from '../../src/fleet/tasks/task-option-guard.js';
import { eventually, logTexts, Sandbox } from './helpers.js';

// A task text is the lead's (and whatever steered it): one starting with "-" must never become an option of a role's
// program. `git log -n 1 {task}` given "--output=FILE" writes FILE; the fleet refuses such a task for such a role.

const sandbox = new Sandbox();
const outside = mkdtempSync('/var/tmp/fleet-mcp-option-');
afterEach(() => sandbox.cleanup());
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe('where a task text could be an option', () => {
  it.each<[string, string[]]>([
    ['a bare {task}', ['git', 'log', '-n', '1', '{task}']],
    ['{task} after a shell flag that takes a value', ['sh', '-o', 'errexit', '-c', 'script', 'name', '{task}']],
    ['{task} after sh with no -c (a script file to run)', ['sh', '{task}']],
    ['{task} after a script that is left out outside git', ['sh', '-c', '{git_dir}', '{task}']],
    ['{task} after env', ['env', 'sh', '-c', 'script', 'name', '{task}']],
    ['{task} with text after it', ['x', '{task} please']],
  ])('is %s', (_shape, argv) => {
    expect(readsTaskAsOption(argv)).toBe(true);
  });

  it.each<[string, string[]]>([
    ['after --', ['git', 'log', '--', '{task}']],
    ['inside --x={task}', ['x', '--message={task}']],
    ['after other text', ['x', 'Review: {task}']],
    ['a positional parameter of sh -c', ['sh', '-c', 'printf "%s" "$1"', 'agent', '{task}']],
    ['the script name of sh -c', ['/bin/sh', '-c', 'printf "%s" "$0"', '{task}']],
    ['a positional parameter of bash -ec', ['/usr/bin/bash', '-ec', 'script', 'agent', '{task}']],
    ['a positional parameter of dash -e -c', ['dash', '-e', '-c', 'script', 'agent', '{task}']],
    ['a positional parameter of a login bash -lc', ['bash', '-lc', 'script', 'agent', '{task}']],
    ['a positional parameter of zsh -c', ['/usr/bin/zsh', '-c', 'script', 'agent', '{task}']],
    // The task is the script: its author runs any command already, so an option it becomes adds nothing.
    ['the script of sh -c', ['sh', '-c', '{task}']],
    ['the script, after flags', ['/bin/bash', '-e', '-c', '{task}', 'name']],
  ])('is not %s', (_shape, argv) => {
    expect(readsTaskAsOption(argv)).toBe(false);
  });

  it('is not in any command of the built-in presets, sandboxed or not, fresh or continuing', () => {
    for (const preset of BUILTIN_ROLES) {
      const argvs = [
        preset.command,
        preset.continue_command,
        preset.sandboxed?.command,
        preset.sandboxed?.continue_command,
      ];
      for (const argv of argvs)
        if (argv) expect(readsTaskAsOption(argv), `${preset.name}: ${argv.join(' ')}`).toBe(false);
    }
  });

  it('may be declared by a role with "task_is_operand", which takes only true or false', () => {
    expect(rolesConfigSchema.safeParse({ x: { command: ['x', '{task}'], task_is_operand: true } }).success).toBe(true);
    const bad = rolesConfigSchema.safeParse({ x: { command: ['x', '{task}'], task_is_operand: 'yes' } });
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['x', 'task_is_operand'],
      message: 'task_is_operand must be true or false',
    });
  });

  it('is checked in every command a role may run, and not where the role declares its program takes no options there', () => {
    const roles = resolveRoles(
      {
        fresh: { command: ['x', '{task}'] },
        continuing: { command: ['x', '--', '{task}'], continue_command: ['x', '--continue', '{task}'] },
        declared: { command: ['x', '{task}'], task_is_operand: true },
        safe: { command: ['x', '--', '{task}'], continue_command: ['x', '--continue', '--', '{task}'] },
      },
      { pathEnv: '' },
    );
    expect(unprotectedTaskRoles(roles).map((role) => role.name)).toEqual(['fresh', 'continuing']);
  });
});

/** A logger that keeps the warnings, to see what the fleet said at start. */
function recordingLogger(): FleetLogger & { warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  return {
    info: () => {},
    error: () => {},
    warn: (fields) => warnings.push(fields as Record<string, unknown>),
    warnings,
  };
}

const ATTACK_ROLES: RolesConfig = {
  gitlog: { command: ['git', 'log', '-n', '1', '{task}'] },
  resumes: {
    command: ['git', 'log', '-n', '1', '--', '{task}'],
    continue_command: ['git', 'log', '-n', '1', '{task}'],
  },
  printer: { command: ['printf', 'PRINTED %s\\n', '{task}'], task_is_operand: true },
  shell: { command: ['sh', '-c', 'printf "SHELL %s\\n" "$1"', 'agent', '{task}'] },
};

describe('a task text starting with "-"', () => {
  it('is an attack on a role that passes it as an option (the control: git writes the file)', () => {
    const repo = sandbox.gitRepo();
    const control = join(outside, 'control');
    execFileSync('git', ['log', '-n', '1', `--output=${control}`], { cwd: repo });
    expect(existsSync(control)).toBe(true);
  });

  it('is refused for such a role, naming it and the fix, on create and on a follow-up; the file is never written', async () => {
    const repo = sandbox.gitRepo();
    const logger = recordingLogger();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: sandbox.rolesConfig(ATTACK_ROLES),
      logger,
    });
    const leak = join(outside, 'leak');
    const attack = `--output=${leak}`;

    await expect(fleet.createAgent({ name: 'direct', project: 'repo', role: 'gitlog', task: attack })).rejects.toThrow(
      /starts with "-", which role "gitlog" would pass to its program as an option.*put "--" before \{task\}.*"task_is_operand": true/,
    );
    expect(fleet.listAgents()).toEqual([]);

    await fleet.createAgent({ name: 'later', project: 'repo', role: 'gitlog', task: 'HEAD' });
    await fleet.waitForAgent('later', 20_000);
    await expect(fleet.startTask('later', attack)).rejects.toThrow('role "gitlog" would pass');
    await expect(
      fleet.createAgent({ name: 'resuming', project: 'repo', role: 'resumes', task: attack }),
    ).rejects.toThrow('role "resumes" would pass');
    expect(fleet.taskHistory('later').items.map((task) => task.description)).toEqual(['HEAD']);
    expect(existsSync(leak)).toBe(false);

    // The start-up warning names the roles that refuse such tasks, and neither the declared role nor the sh -c one.
    expect(logger.warnings.map((warning) => warning.role)).toEqual(['test', 'gitlog', 'resumes']);
  });

  it('runs as the text it is for a role that declares its program takes no options there, and for sh -c with the task after the script', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: sandbox.rolesConfig(ATTACK_ROLES),
    });
    const leak = join(outside, 'leak-declared');
    const attack = `--output=${leak}`;
    for (const role of ['printer', 'shell']) {
      await fleet.createAgent({ name: role, project: 'repo', role, task: attack });
      await fleet.waitForAgent(role, 20_000);
      expect(fleet.showAgent(role).last_task).toMatchObject({ status: 'completed', exit_code: 0 });
    }
    expect(await logTexts(fleet, 'printer')).toContain(`PRINTED ${attack}`);
    expect(await logTexts(fleet, 'shell')).toContain(`SHELL ${attack}`);
    expect(existsSync(leak)).toBe(false);
  });

  it('is let through for a role whose task is the script of sh -c, where an option adds nothing to what a script does', async () => {
    const repo = sandbox.gitRepo();
    const logger = recordingLogger();
    // The element after the script becomes the script when the task turns into an option: still the role's text, and
    // no more than a task that wrote `echo …` itself could run.
    const rolesConfig = sandbox.rolesConfig({
      script: { command: ['/bin/sh', '-c', '{task}', 'echo the next element ran'] },
    });
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig,
      logger,
    });
    const leak = join(outside, 'leak-script');
    for (const [name, attack] of [
      ['output', `--output=${leak}`],
      ['trace', '-x'],
    ] as const) {
      await fleet.createAgent({ name, project: 'repo', role: 'script', task: attack });
      await fleet.waitForAgent(name, 20_000);
    }
    expect(fleet.showAgent('output').last_task).toMatchObject({ status: 'failed' });
    expect(await logTexts(fleet, 'trace')).toContain('the next element ran');
    expect(existsSync(leak)).toBe(false);
    expect(logger.warnings.map((warning) => warning.role)).toEqual(['test']);
  });

  it('is stopped at launch too when the role changed after the task was queued', async () => {
    const repo = sandbox.gitRepo();
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'repo', path: repo, description: '' }];
    const leak = join(outside, 'leak-queued');
    const flip = (command: string[]) => sandbox.rolesConfig({ flip: { command } });
    const first = await sandbox.fleet({
      dataDir,
      projects,
      rolesConfig: flip(['git', 'log', '-n', '1', '--', '{task}']),
      maxBusy: 1,
      stopAgentsOnShutdown: false,
    });
    await first.createAgent({ name: 'holder', project: 'repo', role: 'test', task: JSON.stringify({ sleepMs: 2000 }) });
    await first.createAgent({ name: 'queued', project: 'repo', role: 'flip', task: `--output=${leak}` });
    expect(first.showAgent('queued').status).toBe('pending');
    await first.shutdown();

    const second = await sandbox.fleet({
      dataDir,
      projects,
      rolesConfig: flip(['git', 'log', '-n', '1', '{task}']),
      maxBusy: 1,
    });
    const failed = await eventually(
      () => (['failed', 'idle'].includes(second.showAgent('queued').status) ? second.showAgent('queued') : undefined),
      20_000,
    );
    expect(failed.status).toBe('failed');
    expect(failed.status_reason).toContain(
      'role "flip" would pass the task text, which starts with "-", to its program as an option',
    );
    expect(failed.last_task).toMatchObject({ status: 'failed', started_at: null });
    expect(existsSync(leak)).toBe(false);
  });
});
