import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { supervisorArgv, taskSupervisor } from '../../src/fleet/tasks/supervisor/script.js';
import { runFiles } from '../../src/fleet/tasks/supervisor/run-files.js';

// The task supervisor is the one process every task passes through: it closes what it inherited at fd 3 to 9 (sh names
// no fd above 9; those the server closes as it starts, see test/fleet-e2e/inherited-fds.test.ts), and hands the CLI
// exactly the input files it was asked to, at fd 3, 4, ….

const dir = mkdtempSync(join(tmpdir(), 'fleet-supervisor-fds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the task supervisor', () => {
  it('closes the fds it inherited and gives the CLI its input files at fd 3 on', async () => {
    const files = runFiles(dir);
    const input = join(dir, 'input.bin');
    writeFileSync(input, 'filter');
    const planted = openSync(join(dir, 'planted.txt'), 'a');
    const argv = supervisorArgv(taskSupervisor(dir), {
      // The echo after keeps the shell from exec'ing ls in its place.
      argv: ['/bin/sh', '-c', 'ls -l /proc/$$/fd; echo listed'],
      stdout: files.stdout,
      stderr: files.stderr,
      exit: files.exit,
      inputs: [input],
    });
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', planted, 'ignore', 'ignore', 'ignore', 'ignore', planted],
    });
    closeSync(planted);
    // Only fds 0 to 9 are looked at: this test process may hold others without close-on-exec, which serve closes.
    // The supervisor writes the CLI's exit status before it exits itself.
    await new Promise((resolve) => child.once('exit', resolve));
    expect(JSON.parse(readFileSync(files.exit, 'utf8'))).toMatchObject({ exit_code: 0 });
    const fds = readFileSync(files.stdout, 'utf8')
      .split('\n')
      .flatMap((line) => /^[l-][rwx-]{9} .* (\d) -> (.*)$/.exec(line)?.slice(1, 3).join(' -> ') ?? [])
      .sort();
    expect(fds).toEqual(['0 -> /dev/null', `1 -> ${files.stdout}`, `2 -> ${files.stderr}`, `3 -> ${input}`]);
  });
});
