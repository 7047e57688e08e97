import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { Sandbox } from './sandbox.js';
import { captureLog } from './secrets.js';

export const CLI = resolve(import.meta.dirname, '../../bin/fleet-mcp.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a user would, in the sandbox's working directory and environment. Killed only past 100 s, a
 * ceiling for a hung command under the tests' own 120 s: a busy machine takes several seconds to start one.
 */
export function runCli(sandbox: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: sandbox.cwd, env: { ...sandbox.env, ...env }, timeout: 100_000 },
      (error, stdout, stderr) => {
        captureLog(`fleet-mcp ${args.join(' ')} (stderr)`, () => stderr);
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
