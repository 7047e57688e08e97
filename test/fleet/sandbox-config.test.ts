// biome-ignore-all lint/suspicious/noTemplateCurlyInString: roles' shell-style ${VAR:-path} paths, expanded by expandState
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleetConfig } from '../../src/fleet/fleet-config.js';
import { bwrapIsolation, probeBwrap, type BwrapStatus } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { AgentLauncher, LaunchError } from '../../src/fleet/backends/local/sandbox/launcher.js';
import { sandboxMounts } from '../../src/fleet/backends/local/sandbox/sandbox-mounts.js';
import {
  loopbackResolvers,
  probeUserNet,
  type UserNetStatus,
} from '../../src/fleet/backends/local/sandbox/user-net.js';
import type { Project } from '../../src/fleet/projects.js';
import { resolveRoles, rolesConfigSchema } from '../../src/fleet/roles.js';
import type { Role } from '../../src/fleet/types.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-sandbox-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
mkdirSync(bin);
for (const name of ['claude', 'codex']) {
  writeFileSync(join(bin, name), '#!/bin/sh\n');
  chmodSync(join(bin, name), 0o755);
}

function roles(config: unknown): Role[] {
  return resolveRoles(rolesConfigSchema.parse(config), { pathEnv: bin });
}

const project = (sandbox?: boolean): Project => ({
  name: 'web',
  path: dir,
  description: '',
  ...(sandbox === undefined ? {} : { sandbox }),
});
const WORKS = { path: '/usr/bin/bwrap', env: '/usr/bin/env' };
const MISSING = { problem: 'bwrap was not found on PATH: install the bubblewrap package' };
const NET_WORKS = { path: '/usr/bin/pasta' };
const NET_MISSING = {
  problem: 'pasta was not found on PATH (a sandbox with network on needs it): install the passt package',
};

function launcher(bwrap: BwrapStatus, presetsByDefault = true, userNet: UserNetStatus = NET_WORKS): AgentLauncher {
  return new AgentLauncher({ hidden: [], presetsByDefault, isolation: bwrapIsolation(bwrap, undefined, dir, userNet) });
}

describe('sandbox settings of roles and projects', () => {
  it("gives each preset its state paths and its sandboxed run; a command of the config's own drops the preset's run", () => {
    const [claude, codex] = roles({});
    expect(claude!.sandbox).toMatchObject({
      enabled: null,
      network: true,
      writable: ['${CLAUDE_CONFIG_DIR:-~/.claude}', '~/.claude.json'],
      env: { IS_SANDBOX: '1' },
    });
    expect(claude!.sandbox.command).toContain('--permission-mode=bypassPermissions');
    expect(codex!.sandbox.command).toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(codex!.sandbox.continue_command).toEqual(
      expect.arrayContaining(['resume', '--dangerously-bypass-approvals-and-sandbox', '{session_id}']),
    );
    const [own] = roles({ claude: { command: ['claude', '-p', '--', '{task}'], sandbox: { writable: ['~/.extra'] } } });
    expect(own!.sandbox).toMatchObject({
      enabled: true,
      command: null,
      writable: ['${CLAUDE_CONFIG_DIR:-~/.claude}', '~/.claude.json', '~/.extra'],
    });
  });

  it("reads a role's sandbox as true, false or an object that asks for it unless it says enabled: false", () => {
    const config = {
      a: { command: ['x', '{task}'], sandbox: false },
      b: { command: ['x', '{task}'], sandbox: { network: false } },
      c: { command: ['x', '{task}'], sandbox: { enabled: false } },
    };
    expect(
      roles(config)
        .filter((role) => role.source === 'config')
        .map((role) => [role.sandbox.enabled, role.sandbox.network]),
    ).toEqual([
      [false, true],
      [true, false],
      [false, true],
    ]);
    expect(
      rolesConfigSchema.safeParse({ a: { command: ['x', '{task}'], sandbox: 'yes' } }).error?.issues[0]?.message,
    ).toContain('sandbox must be true, false or an object');
    expect(
      rolesConfigSchema.safeParse({ a: { command: ['x', '{task}'], sandbox: { writable: ['relative'] } } }).error
        ?.issues[0]?.message,
    ).toBe('sandbox.writable paths must be absolute, start with ~/, or be ${VARIABLE:-path}');
  });

  it('reads the host loopback ports a role lists, and refuses anything but whole numbers 1-65535, naming the role', () => {
    const [db] = roles({ db: { command: ['x', '{task}'], sandbox: { ports: [5432, 6379, 5432] } } }).filter(
      (role) => role.source === 'config',
    );
    expect(db!.sandbox).toMatchObject({ enabled: true, network: true, ports: [5432, 6379] });
    expect(
      roles({ plain: { command: ['x', '{task}'], sandbox: true } }).find((role) => role.name === 'plain')!.sandbox
        .ports,
    ).toEqual([]);
    const file = join(dir, 'ports.json');
    const problem = (ports: unknown): string => {
      writeFileSync(file, JSON.stringify({ roles: { db: { command: ['x', '{task}'], sandbox: { ports } } } }));
      try {
        loadFleetConfig({ file, required: true, dirs: [dir] });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    const refused = `fleet config ${file} is invalid: roles.db.sandbox.ports: sandbox.ports must be a list of host loopback port numbers 1-65535, e.g. [5432]`;
    for (const ports of [[0], [5432, 65536], [80.5], ['5432'], 5432, [null]]) expect(problem(ports)).toBe(refused);
    expect(problem([1, 65535])).toBe('accepted');
  });

  it("reads a project's sandbox, and refuses anything but true or false", () => {
    const file = join(dir, 'fleet.json');
    writeFileSync(file, JSON.stringify({ projects: { web: { path: dir, sandbox: true } } }));
    expect(loadFleetConfig({ file, required: true, dirs: [dir] }).projects[0]).toMatchObject({
      name: 'web',
      sandbox: true,
    });
    writeFileSync(file, JSON.stringify({ projects: { web: { path: dir, sandbox: 'on' } } }));
    expect(() => loadFleetConfig({ file, required: true, dirs: [dir] })).toThrow(
      `fleet config ${file} is invalid: projects.web.sandbox: "sandbox" must be true or false`,
    );
  });
});

describe('who runs sandboxed', () => {
  const [claude] = roles({});
  const [script, open] = roles({
    script: { command: ['x', '{task}'] },
    open: { command: ['x', '{task}'], sandbox: false },
  }).filter((role) => role.source === 'config');

  it('sandboxes the presets by default where bwrap works, with their sandboxed run; a role with its own command only when asked', () => {
    expect(launcher(WORKS).prepare(claude!, project()).note).toBe(
      'sandboxed by bwrap, network on, host loopback ports: none',
    );
    expect(launcher(WORKS).prepare(claude!, project()).role.command).toContain('--permission-mode=bypassPermissions');
    expect(launcher(WORKS, false).prepare(claude!, project()).note).toBeNull();
    expect(launcher(WORKS).prepare(script!, project()).note).toBeNull();
    expect(launcher(WORKS).prepare(claude!, project(false)).role.command).not.toContain(
      '--permission-mode=bypassPermissions',
    );
  });

  it("lets a true of the project win over a role's false", () => {
    expect(launcher(WORKS).prepare(open!, project(true)).note).toBe(
      'sandboxed by bwrap, network on, host loopback ports: none',
    );
    expect(launcher(WORKS).prepare(open!, project()).note).toBeNull();
  });

  it('never runs a role that asked for the sandbox without it; a preset sandboxed only by default runs as before', () => {
    expect(() => launcher(MISSING).prepare(open!, project(true))).toThrow(LaunchError);
    expect(() => launcher(MISSING).prepare(open!, project(true))).toThrow(
      'role "open" in project "web" runs sandboxed, and bwrap was not found on PATH: install the bubblewrap package',
    );
    expect(launcher(MISSING).prepare(claude!, project()).note).toBeNull();
  });

  it("reads an agent's repository only where its tasks ran: sandboxed once, never directly again", () => {
    const spec = {
      argv: ['git', 'status'],
      cwd: dir,
      env: {},
      git: { git_dir: null, git_common_dir: null, source_git_dir: null, head: null },
    };
    expect(launcher(WORKS).placeOfRepository(claude!, project(), false)(spec).argv[0]).toBe('/usr/bin/env');
    expect(launcher(MISSING).placeOfRepository(claude!, project(), false)(spec).argv).toEqual(['git', 'status']);
    expect(() => launcher(MISSING).placeOfRepository(claude!, project(), true)).toThrow(
      'runs sandboxed, and bwrap was not found on PATH',
    );
    expect(() => launcher(MISSING).placeOfRepository(null, project(), true)).toThrow(LaunchError);
    expect(launcher(MISSING).placeOfRepository(null, project(), false)(spec).argv).toEqual(['git', 'status']);
    expect(launcher(WORKS).placeOfRepository(null, project(), false)(spec).argv[0]).toBe('/usr/bin/env');
  });

  it("never falls back to the host's network where pasta is missing: a role that asked fails, a preset runs unsandboxed, network off still works", () => {
    const [offline] = roles({ offline: { command: ['x', '{task}'], sandbox: { network: false } } }).filter(
      (role) => role.source === 'config',
    );
    expect(() => launcher(WORKS, true, NET_MISSING).prepare(open!, project(true))).toThrow(
      'role "open" in project "web" runs sandboxed, and pasta was not found on PATH (a sandbox with network on needs it): install the passt package',
    );
    expect(launcher(WORKS, true, NET_MISSING).prepare(claude!, project()).note).toBeNull();
    expect(launcher(WORKS, true, NET_MISSING).prepare(offline!, project()).note).toBe(
      'sandboxed by bwrap, network off',
    );
  });
});

describe('loopbackResolvers', () => {
  it("names the resolvers a sandbox cannot reach where they are all on the host's loopback", () => {
    const file = join(dir, 'resolv.conf');
    writeFileSync(file, '# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n');
    expect(loopbackResolvers(file)).toEqual(['127.0.0.53']);
    writeFileSync(file, 'nameserver ::1\nnameserver 127.0.0.1\n');
    expect(loopbackResolvers(file)).toEqual(['::1', '127.0.0.1']);
    writeFileSync(file, 'nameserver 127.0.0.53\nnameserver 10.0.0.1\n');
    expect(loopbackResolvers(file)).toEqual([]);
    expect(loopbackResolvers(join(dir, 'no-such-file'))).toEqual([]);
  });
});

describe('probeUserNet', () => {
  it('says what to install when pasta is missing', () => {
    expect(probeUserNet(join(dir, 'nothing-here')).problem).toBe(
      'pasta was not found on PATH (a sandbox with network on needs it): install the passt package, which has pasta (Debian/Ubuntu: apt-get install passt; Fedora: dnf install passt), or give the role "sandbox": { "network": false }',
    );
  });
});

describe('probeBwrap', () => {
  it('says what to install when bwrap is missing, and what to enable when it cannot make a sandbox', () => {
    expect(probeBwrap(join(dir, 'nothing-here')).problem).toBe(
      'bwrap was not found on PATH: install the bubblewrap package (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)',
    );
    // A bwrap that fails the way it does where user namespaces are not allowed.
    const denied = join(dir, 'denied');
    mkdirSync(denied);
    writeFileSync(
      join(denied, 'bwrap'),
      '#!/bin/sh\necho "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n',
    );
    chmodSync(join(denied, 'bwrap'), 0o755);
    const { problem } = probeBwrap(`${denied}:/usr/bin:/bin`);
    expect(problem).toContain(
      `${join(denied, 'bwrap')} cannot make a sandbox here (bwrap: No permissions to create new namespace`,
    );
    expect(problem).toContain('allow user namespaces (sysctl kernel.unprivileged_userns_clone=1');
  });

  it('says why when the probe cannot even be started, instead of failing the server', () => {
    const unstartable = join(dir, 'unstartable');
    mkdirSync(unstartable);
    for (const name of ['bwrap', 'env']) {
      writeFileSync(join(unstartable, name), '#!/no/such/interpreter\n');
      chmodSync(join(unstartable, name), 0o755);
    }
    expect(probeBwrap(unstartable).problem).toContain(
      `${join(unstartable, 'bwrap')} cannot make a sandbox here (spawnSync ${join(unstartable, 'env')} ENOENT)`,
    );
  });
});

describe('sandboxMounts', () => {
  it('finds state where the CLI looks for it, makes what is missing, and shows a worktree through the hidden data dir', () => {
    const home = join(dir, 'home');
    const data = join(dir, 'data');
    const workdir = join(data, 'worktrees', 'one');
    mkdirSync(workdir, { recursive: true });
    const env = { HOME: home, CODEX_HOME: join(dir, 'codex-home'), XDG_CONFIG_HOME: join(dir, 'xdg-config') };
    const mounts = sandboxMounts({
      workdir,
      gitDir: null,
      sourceGitDir: null,
      state: ['${CODEX_HOME:-~/.codex}', '${CLAUDE_CONFIG_DIR:-~/.claude}', '~/.config/opencode', '~/.claude.json'],
      env,
      hidden: [data, join(dir, 'no-such-file')],
    });
    expect(mounts).toEqual([
      { kind: 'hide', path: data, folder: true },
      { kind: 'writable', path: join(dir, 'codex-home'), folder: true },
      { kind: 'writable', path: join(home, '.claude'), folder: true },
      { kind: 'writable', path: join(dir, 'xdg-config', 'opencode'), folder: true },
      { kind: 'writable', path: join(home, '.claude.json'), folder: true },
      { kind: 'writable', path: workdir, folder: true },
    ]);
    expect(readFileSync(join(home, '.claude.json'), 'utf8')).toBe('{}\n');
  });
});
