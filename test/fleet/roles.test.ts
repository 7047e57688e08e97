import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLES, resolveRoles, rolesConfigSchema, taskArgv } from '../../src/fleet/roles.js';

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
    expect(claude).toMatchObject({ command: claudePreset, source: 'builtin', timeout: null, projects: null });
  });

  it('lets the config override, disable and add roles', () => {
    const roles = resolveRoles(
      rolesConfigSchema.parse({
        claude: { timeout: '1h30m', env: { CLAUDE_FLAG: '1' } },
        aider: { disabled: true },
        codex: { command: ['/opt/codex', 'exec', '{task}'] },
        reviewer: { command: ['claude', '-p', 'Review: {task}'], description: 'reviews', default: true, projects: ['web'] },
      }),
      { pathEnv: binDir },
    );
    expect(roles.map((role) => role.name)).toEqual(['claude', 'codex', 'reviewer']);
    expect(roles[0]).toMatchObject({ timeout: '1h30m', timeout_ms: 5_400_000, env: { CLAUDE_FLAG: '1' }, command: claudePreset });
    expect(roles[1]).toMatchObject({ source: 'config', command: ['/opt/codex', 'exec', '{task}'] });
    expect(roles[2]).toMatchObject({ default: true, projects: ['web'], description: 'reviews' });
  });

  it.each([
    [{ mine: {} }, /command is required/],
    [{ mine: { command: ['tool', '--run'] } }, /must contain \{task\}/],
    [{ mine: { command: [] } }, /must name a program/],
    [{ a: { command: ['x', '{task}'], default: true }, b: { command: ['y', '{task}'], default: true } }, /only one role may be the default/],
    [{ mine: { command: ['x', '{task}'], timeout: '2 hours' } }, /timeout must be a duration such as/],
    [{ mine: { command: ['x', '{task}'], timeout: '0s' } }, /above zero/],
    [{ mine: { command: ['x', '{task}'], shell: true } }, /Unrecognized key/],
    [{ 'bad name': { command: ['x', '{task}'] } }, /role names are/],
  ])('rejects an invalid config %j', (config, message) => {
    const result = rolesConfigSchema.safeParse(config);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it('puts the task text inside argv elements, literally', () => {
    const [role] = resolveRoles(rolesConfigSchema.parse({ r: { command: ['agent', '--message={task}', '{task}'] } }), { pathEnv: '' });
    expect(taskArgv(role!, '$(rm -rf ~) {task} "quoted"')).toEqual([
      'agent',
      '--message=$(rm -rf ~) {task} "quoted"',
      '$(rm -rf ~) {task} "quoted"',
    ]);
  });
});
