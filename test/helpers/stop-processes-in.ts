import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Kills every process whose working directory lies in `root` and waits until each has exited, so a folder can be
 * removed without a late writer: a background fleet that a stdio client started may not have written its lock yet.
 */
export function stopProcessesIn(root: string): void {
  killAndWait(processesIn(root));
}

/** SIGKILLs the processes and waits, up to 10 s, until each has exited. */
export function killAndWait(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(isRunning) && Date.now() < deadline)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}

function processesIn(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(pid);
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return pids;
}

/** A zombie has exited: only its parent's wait is missing, and a detached fleet's parent may never wait. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
