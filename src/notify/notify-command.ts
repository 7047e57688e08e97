import { spawn } from 'node:child_process';
import { childEnv } from '../fleet/child-env.js';
import type { TaskEndEvent } from './task-end-event.js';

// A notice command that hangs is ended: notices must not pile up behind it.
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Runs the configured command for a notice, with the event as JSON on stdin and its main fields in FLEET_NOTIFY_*
 * variables. The event is data, never a command line: no shell, and nothing of it in argv. The command gets the
 * server's environment without its own variables (tokens, the webhook secret), as agents do.
 * Answers how it ended, for the log.
 */
export function runNotifyCommand(argv: string[], event: TaskEndEvent, baseEnv: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    const env = childEnv(baseEnv, {
      FLEET_NOTIFY_EVENT: event.event,
      FLEET_NOTIFY_AGENT: event.agent,
      FLEET_NOTIFY_TASK_ID: event.task.id,
      FLEET_NOTIFY_STATUS: event.task.status,
    });
    const child = spawn(argv[0]!, argv.slice(1), {
      env,
      stdio: ['pipe', 'ignore', 'ignore'],
      timeout: COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    child.once('error', (error) =>
      resolve(`could not start: ${(error as NodeJS.ErrnoException).code ?? error.message}`),
    );
    child.once('close', (code, signal) => resolve(signal ? `ended by ${signal}` : `exit code ${code}`));
    child.stdin.on('error', () => {});
    child.stdin.end(`${JSON.stringify(event)}\n`);
  });
}
