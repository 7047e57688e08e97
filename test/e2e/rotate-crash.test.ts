import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';

afterAll(() => cleanupSandboxes());

const KILLS = 200;
/** Independent token files killed side by side, so 200 kills fit in CI's time on two cores. */
const LANES = 4;
/** 200 CLI starts: a ceiling for a hang, far above the minute or two they take on a busy machine. */
const CEILING_MS = 600_000;

/** Starts `token rotate` and SIGKILLs it after `delayMs`, wherever it is. */
function rotateAndKill(sandbox: Sandbox, delayMs: number): Promise<void> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'token', 'rotate'], {
      cwd: sandbox.cwd,
      env: sandbox.env,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
  });
}

describe('token rotate killed with SIGKILL at random moments', () => {
  it(
    `leaves a valid 0600 token file every time, over ${KILLS} kills`,
    async () => {
      const sandboxes = Array.from({ length: LANES }, () => createSandbox());
      for (const sandbox of sandboxes) expect((await runCli(sandbox, ['token', 'rotate'])).code).toBe(0);
      // Calibrate the window with all lanes busy: a whole rotate takes about this long, and kills are spread over
      // up to twice that, so they land before, while and after the file is written.
      const started = Date.now();
      await Promise.all(sandboxes.map((sandbox) => runCli(sandbox, ['token', 'rotate'])));
      const runMs = Date.now() - started;

      const lane = async (sandbox: Sandbox): Promise<number> => {
        let unchanged = 0;
        for (let i = 0; i < KILLS / LANES; i++) {
          const before = readFileSync(sandbox.tokenFile, 'utf8');
          await rotateAndKill(sandbox, Math.floor(Math.random() * runMs * 2));
          const text = readFileSync(sandbox.tokenFile, 'utf8');
          const record = JSON.parse(text) as { value: string; created_at: string };
          expect(record.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
          expect(statSync(sandbox.tokenFile).mode & 0o777).toBe(0o600);
          if (text === before) unchanged += 1;
        }
        return unchanged;
      };
      const killedBeforeRename = (await Promise.all(sandboxes.map(lane))).reduce((sum, n) => sum + n, 0);
      // Some kills must have landed before the new file was in place and some after, or this proved nothing.
      expect(killedBeforeRename).toBeGreaterThan(0);
      expect(killedBeforeRename).toBeLessThan(KILLS);
    },
    CEILING_MS,
  );
});
