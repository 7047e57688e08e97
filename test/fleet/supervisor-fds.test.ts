import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installSupervisor } from '../../src/fleet/tasks/supervisor/script.js';
import { runFiles } from '../../src/fleet/tasks/supervisor/run-files.js';

// The task supervisor is the one process every task passes through: whatever the server in front of it let through,
// it closes what it inherited, and hands the CLI exactly the input files it was asked to, at fd 3, 4, ….

const dir = mkdtempSync(join(tmpdir(), 'fleet-supervisor-fds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the task supervisor', () => {
  it('closes the fds it inherited and gives the CLI its input files at fd 3 on', async () => {
    const files = runFiles(dir);
    const input = join(dir, 'input.bin');
    writeFileSync(input, 'filter');
    const planted = openSync(join(dir, 'planted.txt'), 'a');
    const spec = {
      // The echo after keeps the shell from exec'ing ls in its place.
      argv: ['/bin/sh', '-c', 'ls -l /proc/$$/fd; echo listed'],
      cwd: dir,
      stdout: files.stdout,
      stderr: files.stderr,
      exit: files.exit,
      inputs: [input],
    };
    const child = spawn(process.execPath, [installSupervisor(dir), JSON.stringify(spec)], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', planted, ...Array<'ignore'>(35).fill('ignore'), planted],
    });
    closeSync(planted);
    // The supervisor writes the CLI's exit status before it exits itself.
    await new Promise((resolve) => child.once('exit', resolve));
    expect(JSON.parse(readFileSync(files.exit, 'utf8'))).toMatchObject({ exit_code: 0 });
    const fds = readFileSync(files.stdout, 'utf8')
      .split('\n')
      .flatMap((line) => /^[l-][rwx-]{9} .* (\d+) -> (.*)$/.exec(line)?.slice(1, 3).join(' -> ') ?? [])
      .sort();
    expect(fds).toEqual(['0 -> /dev/null', `1 -> ${files.stdout}`, `2 -> ${files.stderr}`, `3 -> ${input}`]);
  });
});
