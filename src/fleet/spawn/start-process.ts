import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { processStartTime } from '../tasks/process-group.js';
import { detachThroughHelper, startThroughHelper } from './helper-client.js';
import type { DetachedProcess, DetachedSpec, ProcessSpec } from './helper-protocol.js';

export interface ProcessHandlers {
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedProcess {
  /** Its exit; rejects with the reason when it could not be started. */
  ended: Promise<ProcessExit>;
  kill: () => void;
}

let throughHelper = false;

/**
 * A long-lived server starts its processes (git, task supervisors) through the spawn helper from here on: each fork
 * of the server copies its page tables on the event loop, several milliseconds per process. A one-off command forks
 * itself, which costs less than starting a helper.
 */
export function useSpawnHelper(): void {
  throughHelper = true;
}

/** Starts `spec` without a shell: through the spawn helper in a server, else directly. */
export function startProcess(spec: ProcessSpec, handlers: ProcessHandlers): StartedProcess {
  return throughHelper ? startThroughHelper(spec, handlers) : startDirectly(spec, handlers);
}

/** Starts `spec` detached, without a shell: through the spawn helper in a server, else directly. */
export function startDetached(spec: DetachedSpec): Promise<DetachedProcess> {
  return throughHelper ? detachThroughHelper(spec) : Promise.resolve().then(() => detachDirectly(spec));
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
    const ended = new Promise<ProcessExit>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    return { ended, kill: () => child.kill('SIGKILL') };
  } finally {
    for (const fd of inputs) closeSync(fd);
  }
}

/**
 * Starts `spec` from this process in a new session; throws when it cannot. Its start time is read before this
 * process can have reaped it, so even a process that is over at once is told apart from a later one of its pid.
 */
export function detachDirectly(spec: DetachedSpec): DetachedProcess {
  const stderr = openSync(spec.stderrFile, 'a', 0o600);
  try {
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'ignore', stderr],
    });
    child.once('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`${spec.argv[0]} could not be started`);
    return { pid: child.pid, pidStart: processStartTime(child.pid) };
  } finally {
    closeSync(stderr);
  }
}
