import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { runCli } from '../helpers/cli.js';
import { toolsPath } from '../helpers/tools-path.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { initGitRepo } from '../fleet/helpers.js';

const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
// Skipped where bwrap cannot run, except in CI, which installs it and must prove what the sandbox sees.
const BWRAP = probeBwrap(process.env.PATH);
const dirs: string[] = [];

afterAll(() => {
  cleanupSandboxes();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(prefix);
  dirs.push(dir);
  return dir;
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

/** A sandbox whose working directory is a git repository, as a user's clone would be. */
function repoSandbox(): Sandbox {
  const sandbox = createSandbox();
  initGitRepo(sandbox.cwd);
  return sandbox;
}

describe('fleet-mcp init', () => {
  it('makes the repository a project in a 0600 config in a 0700 folder; a second run changes nothing and says so', async () => {
    const sandbox = repoSandbox();
    const first = await runCli(sandbox, ['init']);
    expect(first, first.stderr).toMatchObject({ code: 0, stderr: '' });
    const file = join(sandbox.configDir, 'config.json');
    expect(first.stdout).toContain(`added project "work" (${sandbox.cwd}) to the fleet config ${file}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ projects: { work: { path: sandbox.cwd } } });
    expect(mode(file)).toBe('600');
    expect(mode(sandbox.configDir)).toBe('700');

    const before = { text: readFileSync(file, 'utf8'), stat: statSync(file) };
    const second = await runCli(sandbox, ['init']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      `project "work" (${sandbox.cwd}) is already in the fleet config ${file}: nothing changed`,
    );
    expect(readFileSync(file, 'utf8')).toBe(before.text);
    expect(statSync(file)).toMatchObject({ ino: before.stat.ino, mtimeMs: before.stat.mtimeMs });
  });

  it('from a subfolder adds the repository top, and keeps what the config already holds', async () => {
    const sandbox = repoSandbox();
    const other = join(sandbox.root, 'other');
    mkdirSync(other);
    mkdirSync(sandbox.configDir, { recursive: true, mode: 0o700 });
    const file = join(sandbox.configDir, 'config.json');
    const roles = { shell: { command: ['/bin/sh', '-c', '{task}'], description: 'mine' } };
    writeFileSync(
      file,
      JSON.stringify({ projects: { work: { path: other, description: 'another folder named work' } }, roles }),
      { mode: 0o600 },
    );
    const sub = join(sandbox.cwd, 'src');
    mkdirSync(sub);
    const result = await runCli({ ...sandbox, cwd: sub }, ['init']);
    expect(result.code, result.stderr).toBe(0);
    const config = JSON.parse(readFileSync(file, 'utf8'));
    expect(config.roles).toEqual(roles);
    expect(config.projects.work).toEqual({ path: other, description: 'another folder named work' });
    // The name is taken by another folder: this one's gets a tag of its path.
    const [name] = Object.keys(config.projects).filter((key) => key !== 'work');
    expect(name).toMatch(/^work-[0-9a-f]{6}$/);
    expect(config.projects[name!]).toEqual({ path: sandbox.cwd });
  });

  it('refuses a config that does not parse with one line naming the file and the fix, and leaves it as it was', async () => {
    const sandbox = repoSandbox();
    mkdirSync(sandbox.configDir, { recursive: true, mode: 0o700 });
    const file = join(sandbox.configDir, 'config.json');
    writeFileSync(file, '{ "projects": { oops', { mode: 0o600 });
    const result = await runCli(sandbox, ['init']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`fleet config ${file} is not valid JSON`);
    expect(result.stderr).toContain('Fix it or move it away, then run fleet-mcp init again');
    expect(readFileSync(file, 'utf8')).toBe('{ "projects": { oops');
  });

  it('outside a repository says so in one line and exits non-zero, writing nothing', async () => {
    const sandbox = createSandbox();
    const result = await runCli(sandbox, ['init']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `fleet-mcp: ${sandbox.cwd} is not inside a git work tree: run fleet-mcp init in the repository agents should work on (git init makes one)\n`,
    );
    expect(() => statSync(sandbox.configDir)).toThrow();
  });
});

describe.skipIf(BWRAP.problem !== undefined && !process.env.CI)('fleet-mcp init on agent CLIs (bwrap)', () => {
  it('says which are installed, which look logged in (never showing a secret) and which the sandbox cannot run, with why', async () => {
    const sandbox = repoSandbox();
    // Fakes under /var/tmp, which the sandbox shows; others under /tmp, which it replaces with its own.
    const visible = tempDir('/var/tmp/fleet-mcp-init-');
    const hidden = tempDir('/tmp/fleet-mcp-init-');
    const bin = join(visible, 'bin');
    mkdirSync(bin);
    for (const dir of [visible, hidden]) cpSync(FAKES, join(dir, 'fakes'), { recursive: true });
    symlinkSync(join(visible, 'fakes', 'claude.mjs'), join(bin, 'claude'));
    symlinkSync(join(hidden, 'fakes', 'codex.mjs'), join(hidden, 'codex'));
    // A CLI the sandbox sees whose interpreter it does not: its #! names a program found only under /tmp.
    symlinkSync(process.execPath, join(hidden, 'fleet-test-node'));
    writeFileSync(join(bin, 'gemini'), '#!/usr/bin/env fleet-test-node\nconsole.log("gemini");\n');
    chmodSync(join(bin, 'gemini'), 0o755);
    const codexHome = join(visible, 'codex-home');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'auth.json'), '{"tokens":"x"}');
    const secret = 'sk-ant-init-test-secret-0123456789';
    const env = {
      PATH: `${bin}:${hidden}:${toolsPath(visible)}`,
      ANTHROPIC_API_KEY: secret,
      CODEX_HOME: codexHome,
      OPENAI_API_KEY: '',
    };

    const result = await runCli(sandbox, ['init'], env);
    expect(result.code, result.stderr).toBe(0);
    const line = (name: string): string =>
      result.stdout.split('\n').find((text) => text.startsWith(`  ${name} `)) ?? '';
    expect(result.stdout).toContain('sandbox: bwrap works; the built-in roles run sandboxed');
    expect(line('claude')).toBe(
      `  claude    ${join(bin, 'claude')}; looks logged in (ANTHROPIC_API_KEY is set); usable`,
    );
    expect(line('codex')).toContain(`looks logged in (credentials in ${join(codexHome, 'auth.json')})`);
    expect(line('codex')).toContain(
      `NOT usable: role "codex" runs sandboxed, and its CLI ${join(hidden, 'codex')} is under /tmp, which the sandbox does not show`,
    );
    expect(line('codex')).toContain('or set "sandbox": false on role "codex" in the fleet config');
    expect(line('gemini')).toContain('no login found: run `gemini` once and sign in, or set GEMINI_API_KEY');
    expect(line('gemini')).toContain(
      `its CLI ${join(bin, 'gemini')} runs "fleet-test-node" (its #! line), which is found only under /tmp`,
    );
    expect(line('opencode')).toBe('  opencode  not installed: npm install -g opencode-ai');
    expect(result.stdout + result.stderr).not.toContain(secret);
  });
});
