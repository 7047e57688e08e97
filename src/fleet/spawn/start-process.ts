import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { startThroughHelper } from './helper-client.js';
import type { ProcessSpec } from './helper-protocol.js';

export interface ProcessHandlers {
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
}

export interface StartedProcess {
  /** Its exit; rejects with the reason when it could not be started. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: () => void;
}

let throughHelper = false;

/**
 * A long-lived server starts its short processes (git) through the spawn helper from here on: each fork of the
 * server copies its page tables on the event loop, several milliseconds per process. A one-off command forks
 * itself, which costs less than starting a helper.
 */
export function useSpawnHelper(): void {
  throughHelper = true;
}

/** Starts `spec` without a shell: through the spawn helper in a server, else directly. */
export function startProcess(spec: ProcessSpec, handlers: ProcessHandlers): StartedProcess {
  return throughHelper ? startThroughHelper(spec, handlers) : startDirectly(spec, handlers);
}

/** Starts `spec` from this process; throws when an input file cannot be opened. */
export function startDirectly(spec: ProcessSpec, handlers: ProcessHandlers): StartedProcess {
  const inputs = spec.inputFiles.map((file) => openSync(file, 'r'));
  try {
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe', ...inputs],
      timeout: spec.timeoutMs,
      // A sandbox's bwrap ignores SIGTERM (bwrap.ts), and dies with its parent git.
      killSignal: 'SIGKILL',
    }) as ChildProcessByStdio<null, Readable, Readable>;
    child.stdout.on('data', handlers.stdout);
    child.stderr.on('data', handlers.stderr);
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    return { ended, kill: () => child.kill('SIGKILL') };
  } finally {
    for (const fd of inputs) closeSync(fd);
  }
}
