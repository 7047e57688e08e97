import { readdirSync, readFileSync } from 'node:fs';
import { signalGroup } from './process-group.js';

const POLL_MS = 50;
/** After SIGKILL, how long to wait for the kernel to finish the members off before giving up on watching. */
const KILL_WAIT_MS = 2000;

/**
 * Ends every process left in a task's process group once its first process has exited: SIGTERM, then SIGKILL
 * for what is still running after `graceMs`. A background process an agent started (`sleep 300 &`, a dev server)
 * would otherwise outlive its task. Resolves when no live member is left or the watch gives up.
 */
export async function endProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!hasLiveMembers(pgid)) return;
  if (graceMs > 0) {
    signalGroup(pgid, 'SIGTERM');
    if (await goneWithin(pgid, graceMs)) return;
  }
  signalGroup(pgid, 'SIGKILL');
  await goneWithin(pgid, KILL_WAIT_MS);
}

async function goneWithin(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!hasLiveMembers(pgid)) return true;
  }
  return !hasLiveMembers(pgid);
}

/**
 * Whether the group of a task whose first process (pid = pgid, started at `leaderStart`) is gone still has live
 * members that started after it: what an agent left running while no server watched. A new group can only take
 * that id once ours is empty, and then its leader holds the pid, so a dead leader with live members means ours.
 */
export function isLeftoverGroup(pgid: number, leaderStart: string | null): boolean {
  if (leaderStart === null) return false;
  const leader = readStat(String(pgid));
  // The leader's zombie, not yet reaped by its parent (the spawn helper), still holds the pid: it is as dead as a
  // reaped one, and no other group can have taken the id.
  if (leader !== null && !(isDead(leader.state) && leader.start === Number(leaderStart))) return false;
  return hasLiveMembers(pgid, Number(leaderStart));
}

function isDead(state: string): boolean {
  return state === 'Z' || state === 'X';
}

/**
 * Whether a process other than a zombie is in the group (started at or after `sinceTicks`, when given). Zombies count as group members for kill(2), and an
 * orphan's zombie may never be reaped (not every container's init reaps), so /proc is read where it exists.
 */
function hasLiveMembers(pgid: number, sinceTicks = 0): boolean {
  // A group with no process at all, the common end of a task, is told by one syscall rather than a read of every
  // process in /proc, which holds the event loop for milliseconds per hundred processes.
  if (isEmptyGroup(pgid)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return groupExists(pgid);
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.pgrp === pgid && !isDead(stat.state) && stat.start >= sinceTicks) return true;
  }
  return false;
}

function readStat(pid: string): { state: string; pgrp: number; start: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may contain spaces and parentheses, so count fields after its closing ")".
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]), start: Number(fields[19]) };
  } catch {
    return null;
  }
}

/** True only when the kernel says no process, not even a zombie, is in the group (ESRCH); any other answer is unsure. */
function isEmptyGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
