import { spawn, type ChildProcess } from 'node:child_process';

/** A long-running process of ours in a group of its own, as an agent's task would be; it answers "pong" to a line. */
export function liveGroupLeader(children: ChildProcess[]): ChildProcess {
  const script = 'process.stdin.on("data", () => process.stdout.write("pong\\n"))';
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  children.push(child);
  return child;
}

/**
 * Whether the process still runs code: a SIGKILL sent before the ping is pending when the ping arrives, so a killed
 * process can never answer it, and a zombie (killed, not reaped yet) does not count as alive as it would for kill -0.
 * A broken pipe means it is gone too.
 */
export function answersPing(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    child.stdout!.once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
    child.stdin!.once('error', () => resolve(false));
    child.stdin!.write('ping\n');
  });
}
