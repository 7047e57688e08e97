import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { endProcessGroup, isLeftoverGroup } from '../../src/fleet/tasks/group-end.js';
import { isSameProcessRunning, processStartTime, signalGroup } from '../../src/fleet/tasks/process-group.js';
import { isRunning } from './helpers.js';

// A task's group whose first process is gone is ended only when what is left in it started with or after that
// process: a record's pid and start time are all the server knows of a task it did not see end.

const groups: number[] = [];
afterEach(() => {
  for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
});

/** A process group whose leader has exited, leaving one live member (a background sleep). */
async function groupWithoutLeader(): Promise<{ pgid: number; member: number; memberStart: string }> {
  const leader = spawn('/bin/sh', ['-c', 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  groups.push(leader.pid!);
  let output = '';
  leader.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await once(leader, 'exit');
  const member = Number(output.trim());
  expect(isRunning(member)).toBe(true);
  return { pgid: leader.pid!, member, memberStart: processStartTime(member)! };
}

describe('a task group whose leader is gone', () => {
  it("is the task's leftovers when its members started with or after the recorded leader", async () => {
    const { pgid, memberStart } = await groupWithoutLeader();
    expect(isLeftoverGroup(pgid, memberStart)).toBe(true);
    expect(isLeftoverGroup(pgid, String(Number(memberStart) - 1))).toBe(true);
  });

  it('is not when they started before the recorded leader or the record has no start time', async () => {
    const { pgid, memberStart } = await groupWithoutLeader();
    expect(isLeftoverGroup(pgid, String(Number(memberStart) + 1))).toBe(false);
    expect(isLeftoverGroup(pgid, null)).toBe(false);
  });

  it('is, while its leader is a zombie its parent has not reaped (the spawn helper, slow on a busy machine)', async () => {
    // The outer sh starts the leader in a session of its own, then becomes a sleep that never reaps it.
    const outer = spawn(
      '/bin/sh',
      ['-c', "setsid /bin/sh -c 'sleep 300 </dev/null >/dev/null 2>&1 & echo $$' & exec sleep 30"],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const pgid = Number((await once(outer.stdout, 'data'))[0].toString().trim());
    groups.push(pgid);
    try {
      await expect.poll(() => processState(pgid)).toBe('Z');
      const leaderStart = processStartTime(pgid);
      expect(isLeftoverGroup(pgid, leaderStart)).toBe(true);
      expect(isLeftoverGroup(pgid, String(Number(leaderStart) + 1))).toBe(false);
    } finally {
      outer.kill('SIGKILL');
    }
  });
});

describe('a task group with no process left', () => {
  it('is not leftovers, and ending it finds nothing to signal', async () => {
    const leader = spawn('/bin/sh', ['-c', 'exit 0'], { detached: true, stdio: 'ignore' });
    const pgid = leader.pid!;
    const leaderStart = processStartTime(pgid);
    await once(leader, 'exit');
    expect(isLeftoverGroup(pgid, leaderStart ?? '0')).toBe(false);
    await endProcessGroup(pgid, 60_000);
  });
});

describe('a process recorded by pid and start time', () => {
  it('runs while it is that process, and not once it is another, a zombie or gone', async () => {
    // The child ends once its parent is the sleep, which never reaps it: a zombie, whatever the scheduling.
    const child = `while [ "$(cat /proc/$PPID/comm)" != sleep ]; do :; done`;
    const outer = spawn('/bin/sh', ['-c', `sh -c '${child}' & echo $!; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    groups.push(outer.pid!);
    try {
      const start = processStartTime(outer.pid!);
      expect(isSameProcessRunning(outer.pid!, start)).toBe(true);
      expect(isSameProcessRunning(outer.pid!, String(Number(start) + 1))).toBe(false);
      expect(isSameProcessRunning(outer.pid!, null)).toBe(false);
      const child = Number((await once(outer.stdout, 'data'))[0].toString().trim());
      await expect.poll(() => processState(child)).toBe('Z');
      expect(isSameProcessRunning(child, processStartTime(child))).toBe(false);
    } finally {
      outer.kill('SIGKILL');
      await once(outer, 'exit');
    }
    expect(isSameProcessRunning(outer.pid!, processStartTime(outer.pid!))).toBe(false);
  });
});

function processState(pid: number): string | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}
