import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { copySetupFiles, runSetupCommand } from '../../../src/fleet/review/worktree-setup.js';
import { Sandbox, writeFile } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/** Exists and is not a zombie (a killed orphan waits, as a zombie, for a PID 1 that may be slow to reap it). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('copySetupFiles', () => {
  it('copies listed files into the worktree, creating folders, and reports the missing ones', () => {
    const from = sandbox.dir();
    const to = sandbox.dir();
    writeFile(from, '.env', 'SECRET=1\n');
    writeFile(from, 'config/local.json', '{}\n');
    const result = copySetupFiles({ from, to, files: ['.env', 'config/local.json', '.env.local'] });
    expect(result).toEqual({ copied: ['.env', 'config/local.json'], missing: ['.env.local'] });
    expect(readFileSync(join(to, 'config/local.json'), 'utf8')).toBe('{}\n');
  });

  it.each([
    ['/etc/passwd', /must be a path relative/],
    ['../outside.txt', /without "\.\."/],
    ['a/../../outside.txt', /without "\.\."/],
  ])('refuses %s', (file, message) => {
    expect(() => copySetupFiles({ from: sandbox.dir(), to: sandbox.dir(), files: [file] })).toThrow(message);
  });

  it('does not follow symlinks out of the checkout, nor write through them in the worktree', () => {
    const outside = sandbox.dir();
    writeFile(outside, 'secret.txt', 'not yours\n');
    const from = sandbox.dir();
    const to = sandbox.dir();
    symlinkSync(join(outside, 'secret.txt'), join(from, 'leak.txt'));
    expect(() => copySetupFiles({ from, to, files: ['leak.txt'] })).toThrow(/symlink to .*outside the checkout/);
    expect(existsSync(join(to, 'leak.txt'))).toBe(false);

    writeFile(from, 'inside.txt', 'ok\n');
    symlinkSync('inside.txt', join(from, 'alias.txt'));
    expect(copySetupFiles({ from, to, files: ['alias.txt'] }).copied).toEqual(['alias.txt']);

    writeFile(from, 'sub/.env', 'x\n');
    symlinkSync(outside, join(to, 'sub'));
    expect(() => copySetupFiles({ from, to, files: ['sub/.env'] })).toThrow(/outside the worktree/);
    writeFile(from, 'target.txt', 'x\n');
    symlinkSync(join(outside, 'secret.txt'), join(to, 'target.txt'));
    expect(() => copySetupFiles({ from, to, files: ['target.txt'] })).toThrow(/is a symlink in the worktree/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('not yours\n');
  });

  it('refuses a folder', () => {
    const from = sandbox.dir();
    mkdirSync(join(from, 'config'));
    expect(() => copySetupFiles({ from, to: sandbox.dir(), files: ['config'] })).toThrow(/not a regular file/);
  });
});

describe('runSetupCommand', () => {
  const node = process.execPath;

  it('runs argv without a shell in the worktree with an agent environment, capturing its lines', async () => {
    const cwd = sandbox.dir();
    const seen: string[] = [];
    const saved = process.env.FLEET_MCP_AUTH_TOKEN;
    process.env.FLEET_MCP_AUTH_TOKEN = 'server-secret';
    try {
      const script =
        'console.log(process.cwd()); console.error("to stderr"); console.log(process.env.FLEET_MCP_AUTH_TOKEN ?? "no token", process.env.ROLE_VAR, process.argv[1])';
      const result = await runSetupCommand({
        argv: [node, '-e', script, '$HOME; echo hi'],
        cwd,
        timeoutMs: 20_000,
        env: { ROLE_VAR: 'role' },
        onLine: (line) => seen.push(line),
      });
      expect(result.ok).toBe(true);
      expect(result.lines).toContain('to stderr');
      expect(result.lines).toContain('no token role $HOME; echo hi');
      expect(seen).toEqual(result.lines);
    } finally {
      if (saved === undefined) delete process.env.FLEET_MCP_AUTH_TOKEN;
      else process.env.FLEET_MCP_AUTH_TOKEN = saved;
    }
  });

  it('returns the exit code and output of a failing command', async () => {
    const result = await runSetupCommand({
      argv: [node, '-e', 'console.log("installing"); process.exit(3)'],
      cwd: sandbox.dir(),
      timeoutMs: 20_000,
    });
    expect(result).toMatchObject({ ok: false, exitCode: 3, timedOut: false, lines: ['installing'] });
    if (!result.ok) expect(result.message).toMatch(/failed with exit code 3/);
  });

  it('kills the whole process group on timeout', async () => {
    const dir = sandbox.dir();
    writeFileSync(
      join(dir, 'grandchild.cjs'),
      'console.log("grandchild " + process.pid); setInterval(() => {}, 1000);',
    );
    const parent = `require('child_process').spawn(process.execPath, [${JSON.stringify(join(dir, 'grandchild.cjs'))}], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
    // The timeout runs on a fake clock, moved on only once the grandchild has said it runs: however slow the machine,
    // the group the timeout kills holds a live grandchild.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let grandchildPid: number | undefined;
    onTestFinished(() => {
      vi.useRealTimers();
      // A failing run must not leave its grandchild running forever.
      if (grandchildPid !== undefined && isRunning(grandchildPid)) process.kill(grandchildPid, 'SIGKILL');
    });
    let grandchildStarted!: () => void;
    const started = new Promise<void>((resolve) => (grandchildStarted = resolve));
    const running = runSetupCommand({
      argv: [node, '-e', parent],
      cwd: dir,
      timeoutMs: 1500,
      onLine: (line) => {
        const match = /^grandchild (\d+)$/.exec(line);
        if (!match) return;
        grandchildPid = Number(match[1]);
        grandchildStarted();
      },
    });
    await started;
    expect(isRunning(grandchildPid!)).toBe(true);
    vi.advanceTimersByTime(1500);
    expect(await running).toMatchObject({ ok: false, timedOut: true });
    vi.useRealTimers();
    await expect.poll(() => isRunning(grandchildPid!), { timeout: 10_000 }).toBe(false);
  });

  it('says when the command cannot start', async () => {
    const result = await runSetupCommand({ argv: ['no-such-command-fleet'], cwd: sandbox.dir(), timeoutMs: 5_000 });
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.message).toMatch(/could not start: .*ENOENT/);
  });
});
