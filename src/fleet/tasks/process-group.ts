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

/**
 * The start time of a process as Linux reports it (clock ticks since boot), so a pid recorded before a restart is
 * only ever treated as ours while it is the same process. Null where /proc is unavailable or the process is gone.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may contain spaces and parentheses, so count fields after its closing ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process recorded as (pid, start time) still runs. Without a start time it cannot be told apart, so no. */
export function isSameProcessAlive(pid: number, startTime: string | null): boolean {
  return startTime !== null && processStartTime(pid) === startTime;
}

/**
 * Whether the process recorded as (pid, start time) still runs rather than lingering as a zombie: an orphan's zombie
 * may never be reaped where a container's init does not reap, and a zombie has ended all the same.
 */
export function isSameProcessRunning(pid: number, startTime: string | null): boolean {
  if (!isSameProcessAlive(pid, startTime)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
