import { readFileSync } from 'node:fs';

/** Sends a signal to a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** A process's state letter and start time (clock ticks since boot) from /proc; null where unavailable or gone. */
function readProcessStat(pid: number): { state: string; start: string | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may contain spaces and parentheses, so count fields after its closing ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? null };
  } catch {
    return null;
  }
}

/**
 * The start time of a process as Linux reports it (clock ticks since boot), so a pid recorded before a restart is
 * only ever treated as ours while it is the same process. Null where /proc is unavailable or the process is gone.
 */
export function processStartTime(pid: number): string | null {
  return readProcessStat(pid)?.start ?? null;
}

/** Whether the process recorded as (pid, start time) still runs. Without a start time it cannot be told apart, so no. */
export function isSameProcessAlive(pid: number, startTime: string | null): boolean {
  return startTime !== null && processStartTime(pid) === startTime;
}

/**
 * Whether the process recorded as (pid, start time) still runs rather than lingering as a zombie: an orphan's zombie
 * may never be reaped where a container's init does not reap, and a zombie has ended all the same. One read of
 * /proc: every running task's poll asks it.
 */
export function isSameProcessRunning(pid: number, startTime: string | null): boolean {
  if (startTime === null) return false;
  const stat = readProcessStat(pid);
  return stat !== null && stat.start === startTime && stat.state !== 'Z' && stat.state !== 'X';
}
