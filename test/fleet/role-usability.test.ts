import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { resolveRoles } from '../../src/fleet/roles.js';
import { Sandbox } from './helpers.js';

// What list_agent_roles gets from the fleet: each role with whether its tasks can start, and if not why and the fix.
const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
const BWRAP = probeBwrap(process.env.PATH);
const sandbox = new Sandbox();
const hidden = mkdtempSync('/tmp/fleet-role-usability-');
const visible = mkdtempSync('/var/tmp/fleet-role-usability-');
afterEach(() => sandbox.cleanup());
afterAll(() => {
  rmSync(hidden, { recursive: true, force: true });
  rmSync(visible, { recursive: true, force: true });
});

describe.skipIf(BWRAP.problem !== undefined && !process.env.CI)('listRoles (bwrap)', () => {
  it('marks a sandboxed preset whose CLI is under /tmp unusable with why and the fix, and one the sandbox sees usable', async () => {
    const bin = join(visible, 'bin');
    mkdirSync(bin);
    cpSync(FAKES, join(visible, 'fakes'), { recursive: true });
    cpSync(FAKES, join(hidden, 'fakes'), { recursive: true });
    symlinkSync(join(visible, 'fakes', 'claude.mjs'), join(bin, 'claude'));
    symlinkSync(join(hidden, 'fakes', 'codex.mjs'), join(hidden, 'codex'));
    const pathEnv = `${bin}:${hidden}:${process.env.PATH ?? ''}`;
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      roles: resolveRoles(
        { shell: { command: ['/bin/sh', '-c', '{task}'] }, gone: { command: ['no-such-agent-cli', '--', '{task}'] } },
        { pathEnv },
      ),
      baseEnv: { ...process.env, PATH: pathEnv },
      sandbox: { presetsByDefault: true },
    });
    const roles = Object.fromEntries(
      fleet.listRoles('repo').map((role) => [role.name, { usable: role.usable, problem: role.problem }]),
    );
    expect(roles.claude).toEqual({ usable: true, problem: null });
    expect(roles.shell).toEqual({ usable: true, problem: null });
    expect(roles.codex!.usable).toBe(false);
    expect(roles.codex!.problem).toBe(
      `role "codex" runs sandboxed, and its CLI ${join(hidden, 'codex')} is under /tmp, which the sandbox does not show: install it outside the paths the sandbox hides (/tmp, /dev, fleet-mcp's data and config dirs), or set "sandbox": false on role "codex" in the fleet config`,
    );
    expect(roles.gone).toEqual({
      usable: false,
      problem: `role "gone": its command "no-such-agent-cli" was not found on the server's PATH: install it, or fix the role's command in the fleet config`,
    });
  });

  it('marks a preset usable when it runs unsandboxed, wherever its CLI is', async () => {
    const bin = join(hidden, 'unsandboxed');
    mkdirSync(bin);
    cpSync(FAKES, join(bin, 'fakes'), { recursive: true });
    symlinkSync(join(bin, 'fakes', 'codex.mjs'), join(bin, 'codex'));
    const pathEnv = `${bin}:${process.env.PATH ?? ''}`;
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      roles: resolveRoles({ codex: { sandbox: false } }, { pathEnv }),
      baseEnv: { ...process.env, PATH: pathEnv },
      sandbox: { presetsByDefault: true },
    });
    expect(fleet.listRoles('repo').find((role) => role.name === 'codex')).toMatchObject({
      usable: true,
      problem: null,
    });
  });
});
