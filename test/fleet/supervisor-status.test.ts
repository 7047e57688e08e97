import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFiles, type ExitStatus } from '../../src/fleet/tasks/supervisor/run-files.js';
import { supervisorArgv, taskSupervisor } from '../../src/fleet/tasks/supervisor/script.js';

// The task supervisor records how the CLI ended in the exit file, whoever watches: an exit with 130 and a death by
// SIGINT apart (sh's $? makes both 130), and a CLI that cannot be started with the reason.

const root = mkdtempSync(join(tmpdir(), 'fleet-supervisor-status-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;

/** Runs `argv` under the supervisor, in a process group of its own as a task is, and returns its exit file. */
async function supervise(
  argv: string[],
): Promise<{ status: ExitStatus; stdout: string; stderr: string; mode: number }> {
  const dir = join(root, String(runs++));
  const files = runFiles(dir);
  const command = supervisorArgv(taskSupervisor(root), {
    argv,
    stdout: files.stdout,
    stderr: files.stderr,
    exit: files.exit,
    inputs: [],
  });
  mkdirSync(dir);
  const child = spawn(command[0]!, command.slice(1), { cwd: dir, detached: true, stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return {
    status: JSON.parse(readFileSync(files.exit, 'utf8')) as ExitStatus,
    stdout: readFileSync(files.stdout, 'utf8'),
    stderr: readFileSync(files.stderr, 'utf8'),
    mode: statSync(files.exit).mode & 0o777,
  };
}

describe('the task supervisor records', () => {
  it('the exit code, with the output in the files and the exit file for the owner only', async () => {
    const run = await supervise(['/bin/sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(run.status).toMatchObject({ exit_code: 7, signal: null, spawn_error: null });
    expect(Date.parse(run.status.ended_at)).not.toBeNaN();
    expect([run.stdout, run.stderr, run.mode]).toEqual(['out\n', 'err\n', 0o600]);
  });

  it('an exit with 130 as an exit code, and a death by SIGINT as a signal', async () => {
    expect((await supervise(['/bin/sh', '-c', 'exit 130'])).status).toMatchObject({ exit_code: 130, signal: null });
    // The CLI gets SIGINT back, though sh starts background children with it ignored.
    const killed = await supervise(['/bin/sh', '-c', 'kill -INT $$; sleep 5']);
    expect(killed.status).toMatchObject({ exit_code: null, signal: 'SIGINT', spawn_error: null });
  });

  it('what the CLI ended with, whatever its arguments and output say: the task text is never run as shell', async () => {
    const planted = join(root, 'planted');
    const attack = [`$(touch ${planted})`, `\`touch ${planted}\``, `'; touch ${planted}; '`, `"; touch ${planted}; "`];
    const run = await supervise(['/bin/sh', '-c', 'echo "[1] + Done(0)"; echo "$@"; exit 5', 'cli', ...attack]);
    expect(run.status).toMatchObject({ exit_code: 5, signal: null, spawn_error: null });
    expect(run.stdout).toBe(`[1] + Done(0)\n${attack.join(' ')}\n`);
    expect(existsSync(planted)).toBe(false);
  });

  it("the CLI's end through a SIGUSR1, which ends no supervisor (the server sends it to let go of a CLI's stdin)", async () => {
    const run = await supervise(['/bin/sh', '-c', 'kill -USR1 $PPID; exit 4']);
    expect(run.status).toMatchObject({ exit_code: 4, signal: null, spawn_error: null });
  });

  it('a CLI that cannot be started, with the reason', async () => {
    const cli = join(root, 'no "such" \\ cli');
    const run = await supervise([cli, '-p', 'x']);
    expect(run.status).toMatchObject({ exit_code: null, signal: null, spawn_error: `spawn ${cli} ENOENT` });
  });
});
